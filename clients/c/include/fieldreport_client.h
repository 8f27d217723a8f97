/*
 * fieldreport_client.h: a small blocking C11 client for the fieldreport RPC protocol
 * (docs/PROTOCOL.md, version 1) over plain TCP.
 *
 * Messages are the protoc-c types the server itself uses (Sources/CFieldReportWire, generated
 * from proto/ by scripts/generate.sh): include e.g. "fieldreport/v1/case.pb-c.h" and pass
 * &fieldreport__v1__get_case_response__descriptor where a response type is asked for.
 *
 * Model. One fr_conn is one TCP connection. Everything is single-threaded and blocking: a
 * connection must not be used by two threads at once (use one connection per thread). Several
 * calls may be open at once on one connection (e.g. a WatchEvents stream while unary calls
 * run): whichever call is waiting reads the socket and frames of the other calls are queued
 * for them. The connection answers the server's PINGs whenever it reads, so a caller that
 * stops reading for longer than the server's keepalive interval plus its keepalive timeout
 * (120 s + 20 s on the reference server) may find the connection closed.
 *
 * Errors. Every call ends with an fr_status: the server's STATUS (code, message, details,
 * trailers) or one the client decided itself (`local` set): a deadline, a lost connection,
 * a request over the server's limits, a protocol error by the server (malformed bytes are
 * never trusted: every length is checked against the limits of PROTOCOL.md §3.2 before
 * anything is buffered). Functions never abort or exit.
 *
 * Status arguments. The `fr_status *status` of the call functions is required (with NULL they
 * return at once: FR_INVALID_ARGUMENT, NULL or FR_STREAM_END); the `error` of fr_connect and
 * fr_ping may be NULL.
 *
 * Memory. Everything returned to the caller is owned by the caller and freed with the
 * matching function: fr_status_clear, fr_bytes_free, protobuf_c_message_free_unpacked,
 * fr_stream_close, fr_close.
 */
#ifndef FIELDREPORT_CLIENT_H
#define FIELDREPORT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>
#include "rpc/v1/rpc.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes: gRPC's numbers (rpc.v1.StatusCode). */
enum {
  FR_OK = 0,
  FR_CANCELLED = 1,
  FR_UNKNOWN = 2,
  FR_INVALID_ARGUMENT = 3,
  FR_DEADLINE_EXCEEDED = 4,
  FR_NOT_FOUND = 5,
  FR_ALREADY_EXISTS = 6,
  FR_PERMISSION_DENIED = 7,
  FR_RESOURCE_EXHAUSTED = 8,
  FR_FAILED_PRECONDITION = 9,
  FR_ABORTED = 10,
  FR_OUT_OF_RANGE = 11,
  FR_UNIMPLEMENTED = 12,
  FR_INTERNAL = 13,
  FR_UNAVAILABLE = 14,
  FR_DATA_LOSS = 15,
  FR_UNAUTHENTICATED = 16
};

/* Limits this client announces in its preface (rpc.v1.Settings) and enforces on what it
 * receives: the largest MESSAGE payload and the largest STATUS payload it accepts. */
#define FR_CLIENT_MAX_FRAME_SIZE (16u * 1024u * 1024u)
#define FR_CLIENT_MAX_METADATA_SIZE 16384u
/* Largest PING/GOAWAY payload accepted (PROTOCOL.md §3.2: other frame types over 64 KiB). */
#define FR_MAX_CONTROL_FRAME_SIZE 65536u
/* Largest settings block in a preface (PROTOCOL.md §1). */
#define FR_MAX_SETTINGS_SIZE 4096u

/*
 * The outcome of a call (or of fr_connect).
 *   code     FR_OK … FR_UNAUTHENTICATED; a number the client does not know becomes FR_UNKNOWN.
 *   message  human-readable text, never NULL once set by this library ("" for OK); owned.
 *   local    true when the client decided the status itself (deadline passed, connection
 *            lost or closed, protocol error, limits, invalid arguments); false when it is the
 *            server's STATUS frame.
 *   not_processed  true when the server certainly never processed the call (its id was above
 *            a GOAWAY's last_call_id, or the connection was already draining or closed before
 *            the call was sent): it may be sent again, on a new connection.
 *   proto    the server's decoded rpc.v1.Status (details: field violations, precondition
 *            failures, retry info, error info, opaque details; and the trailers), or NULL
 *            (local statuses, and an OK sent as an empty payload). Owned.
 * Initialise with FR_STATUS_INIT (or zero), release with fr_status_clear. Functions that fill
 * a status clear it first, so one fr_status can be reused for many calls.
 */
typedef struct fr_status {
  int code;
  char *message;
  bool local;
  bool not_processed;
  Rpc__V1__Status *proto;
} fr_status;
#define FR_STATUS_INIT {FR_OK, NULL, false, false, NULL}

/* Frees the status' message and details and resets it to FR_STATUS_INIT. NULL is allowed. */
void fr_status_clear(fr_status *status);
/* The code's name, e.g. "NOT_FOUND" ("UNKNOWN" for numbers outside 0…16). */
const char *fr_code_name(int code);
/* The i-th field violation over all BadRequest details, or NULL past the last. */
const Rpc__V1__FieldViolation *fr_status_field_violation(const fr_status *status, size_t i);
/* The i-th precondition violation over all PreconditionFailure details, or NULL. */
const Rpc__V1__PreconditionViolation *fr_status_precondition_violation(const fr_status *status, size_t i);
/* The first RetryInfo detail's delay in milliseconds, or -1 without one. */
int64_t fr_status_retry_delay_ms(const fr_status *status);
/* The first ErrorInfo detail, or NULL. */
const Rpc__V1__ErrorInfo *fr_status_error_info(const fr_status *status);
/* The first trailer with this key (exact comparison), or NULL. */
const Rpc__V1__MetadataEntry *fr_status_trailer(const fr_status *status, const char *key);
/* Writes "CODE: message" and one line per detail to `out`. */
void fr_status_print(FILE *out, const fr_status *status);

/* A byte buffer owned by the caller (response payloads). Free with fr_bytes_free. */
typedef struct fr_bytes {
  uint8_t *data;
  size_t len;
} fr_bytes;
void fr_bytes_free(fr_bytes *bytes);

/*
 * One request metadata entry. `key`: 1–256 bytes of lowercase ASCII letters, digits, '-',
 * '_', '.' (checked before sending: an invalid key fails the call locally INVALID_ARGUMENT,
 * like the server would). The value is `text` (a UTF-8 C string) when it is not NULL, else the
 * `binary`/`binary_len` bytes. Example: {"authorization", "Bearer <token>", NULL, 0}.
 */
typedef struct fr_metadata {
  const char *key;
  const char *text;
  const uint8_t *binary;
  size_t binary_len;
} fr_metadata;

/*
 * Per-call options; a NULL pointer means all defaults.
 *   timeout_ms  the call's deadline, relative to now: > 0 sends it to the server
 *               (CallHeaders.timeout_us) and the client gives up at it too (sends CANCEL and
 *               reports DEADLINE_EXCEEDED, `local` set); 0 means no deadline; < 0 means already
 *               expired (timeout_us 0 is sent and the server answers DEADLINE_EXCEEDED).
 *   metadata, n_metadata  request metadata, in order (keys may repeat).
 */
typedef struct fr_call_options {
  int64_t timeout_ms;
  const fr_metadata *metadata;
  size_t n_metadata;
} fr_call_options;

typedef struct fr_conn fr_conn;
typedef struct fr_stream fr_stream;

/*
 * Opens a TCP connection to host:port (a name or a numeric address; every resolved address
 * is tried) and exchanges prefaces (protocol version 1). `timeout_ms` (> 0) bounds the whole
 * set-up: resolution aside, connecting and reading the server's preface; 0 means no limit.
 * Returns NULL on failure with `error` (may be NULL) set: UNAVAILABLE (refused, closed before
 * the preface: back off before retrying, no common version), DEADLINE_EXCEEDED, INTERNAL (a
 * malformed preface).
 */
fr_conn *fr_connect(const char *host, int port, int64_t timeout_ms, fr_status *error);

/*
 * Closes the connection: sends CANCEL for calls still open and a GOAWAY (NO_ERROR, the highest
 * call id opened), then closes the socket and frees everything, including streams not yet
 * closed with fr_stream_close (whose handles become invalid). NULL is allowed.
 */
void fr_close(fr_conn *conn);

/* The server's settings from its preface (its limits, keepalive and idle timeouts), with
 * PROTOCOL.md's defaults filled in for fields it left at 0. */
const Rpc__V1__Settings *fr_server_settings(const fr_conn *conn);

/* True while new calls may be started: no GOAWAY received, no error, not closed. A connection
 * that is not usable stays valid until fr_close; open a new one for later calls. */
bool fr_conn_usable(const fr_conn *conn);

/* The server's GOAWAY once one was received (last_call_id, code, reason), else NULL. */
const Rpc__V1__GoAway *fr_conn_goaway(const fr_conn *conn);

/*
 * Sends a PING and waits up to timeout_ms (> 0) for its ACK, answering the server's frames
 * meanwhile. Returns the round trip in microseconds, or -1 with `error` set.
 */
int64_t fr_ping(fr_conn *conn, int64_t timeout_ms, fr_status *error);

/*
 * A unary call with raw request bytes (an encoded request message; may be empty) to
 * `method_path` ("/package.Service/Method"). On FR_OK, *response holds the response payload
 * (owned: fr_bytes_free). Returns status->code; `status` must not be NULL.
 */
int fr_call(fr_conn *conn, const char *method_path, const void *request, size_t request_len,
            const fr_call_options *options, fr_bytes *response, fr_status *status);

/*
 * A unary call with protoc-c messages: packs `request`, unpacks the response as
 * `response_type` into *response (free with protobuf_c_message_free_unpacked(*response, NULL)).
 * A response that does not decode fails the call INTERNAL (local). Returns status->code.
 */
int fr_call_message(fr_conn *conn, const char *method_path, const ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *response_type, const fr_call_options *options,
                    ProtobufCMessage **response, fr_status *status);

/*
 * Starts a server-streaming call with raw request bytes. Returns the stream, or NULL with
 * `status` set if the call could not be started (connection unusable, limits, bad metadata).
 * The deadline in `options` covers the whole stream.
 */
fr_stream *fr_stream_open(fr_conn *conn, const char *method_path, const void *request,
                          size_t request_len, const fr_call_options *options, fr_status *status);
/* The same with a protoc-c request message. */
fr_stream *fr_stream_open_message(fr_conn *conn, const char *method_path, const ProtobufCMessage *request,
                                  const fr_call_options *options, fr_status *status);

/* What fr_stream_next returns. */
enum {
  FR_STREAM_END = 0,     /* the call ended: `status` holds its status (FR_OK or an error) */
  FR_STREAM_MESSAGE = 1, /* a message was read into *message */
  FR_STREAM_TIMEOUT = 2  /* nothing arrived within wait_ms; the stream stays open */
};

/*
 * Reads the stream's next message, blocking up to `wait_ms` (< 0: until a message, the end or
 * the call's deadline). Returns FR_STREAM_MESSAGE with *message set (owned), FR_STREAM_END with
 * `status` set (and keeps returning it), or FR_STREAM_TIMEOUT.
 */
int fr_stream_next(fr_stream *stream, int64_t wait_ms, fr_bytes *message, fr_status *status);
/* The same, unpacking each message as `type` (an undecodable one ends the stream INTERNAL,
 * local, and cancels the call). Free *message with protobuf_c_message_free_unpacked. */
int fr_stream_next_message(fr_stream *stream, int64_t wait_ms, const ProtobufCMessageDescriptor *type,
                           ProtobufCMessage **message, fr_status *status);
/* Cancels the call if it is still open (sends CANCEL; the stream then ends CANCELLED, local). */
void fr_stream_cancel(fr_stream *stream);
/* Cancels the call if still open and frees the stream. NULL is allowed. */
void fr_stream_close(fr_stream *stream);

/* ---- Framing (PROTOCOL.md §1–2), exposed for tests and tools ---- */

/* Frame types and flags. */
enum {
  FR_FRAME_HEADERS = 1,
  FR_FRAME_MESSAGE = 2,
  FR_FRAME_STATUS = 3,
  FR_FRAME_CANCEL = 4,
  FR_FRAME_PING = 5,
  FR_FRAME_GOAWAY = 6
};
#define FR_FLAG_END_STREAM 0x01
#define FR_FLAG_ACK 0x01
#define FR_FRAME_HEADER_SIZE 12
#define FR_PREFACE_FIXED_SIZE 16

/* A decoded 12-byte frame header. */
typedef struct fr_frame_header {
  uint8_t version, type, flags, reserved;
  uint32_t call_id;
  uint32_t length;
} fr_frame_header;

/* Writes a 12-byte frame header (version 1, reserved 0) into out. */
void fr_encode_frame_header(uint8_t out[FR_FRAME_HEADER_SIZE], uint8_t type, uint8_t flags, uint32_t call_id,
                            uint32_t length);
/* Reads a 12-byte frame header. Returns 0, or -1 (with a reason in `why`, of `why_len` bytes)
 * when the version is not 1 or the reserved byte is not 0. */
int fr_decode_frame_header(const uint8_t in[FR_FRAME_HEADER_SIZE], fr_frame_header *out, char *why, size_t why_len);
/*
 * Encodes this client's preface (magic, versions 1…1, its settings) into a malloc'd buffer.
 * Returns its length, 0 on allocation failure.
 */
size_t fr_encode_client_preface(uint8_t **out);
/*
 * Encodes a HEADERS frame for `call_id` (header + rpc.v1.CallHeaders) into a malloc'd buffer.
 * timeout_us < 0 leaves the deadline out. Metadata keys are not validated here. Returns the
 * length, 0 on allocation failure.
 */
size_t fr_encode_headers_frame(uint8_t **out, uint32_t call_id, const char *method_path, int64_t timeout_us,
                               const fr_metadata *metadata, size_t n_metadata);
/* True when `key` is a valid metadata key (PROTOCOL.md §3.1). */
bool fr_metadata_key_valid(const char *key);

#ifdef __cplusplus
}
#endif
#endif
