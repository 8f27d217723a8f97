/*
 * fieldreport_client.c: the blocking C client of docs/PROTOCOL.md (version 1). See
 * include/fieldreport_client.h for the API and its contracts.
 */
#define _POSIX_C_SOURCE 200809L
#include "fieldreport_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static const uint8_t PREFACE_MAGIC[8] = {0x89, 'R', 'P', 'C', '\r', '\n', 0x1a, '\n'};
/* Response bytes a connection queues for calls nobody is reading, before it fails them. */
#define FR_MAX_QUEUED_BYTES (64u * 1024u * 1024u)
/* How long a write may make no progress before the connection is considered gone. */
#define FR_WRITE_STALL_NS (60LL * 1000000000LL)
#define DEFAULT_MAX_FRAME_SIZE 4194304u
#define DEFAULT_MAX_CONCURRENT_CALLS 1024u
#define DEFAULT_MAX_METADATA_SIZE 16384u
#define MIN_LIMIT 1024u

typedef struct fr_msg {
  struct fr_msg *next;
  uint8_t *data;
  size_t len;
} fr_msg;

struct fr_stream {
  fr_conn *conn;
  uint32_t id;
  bool unary;
  bool done;          /* final status known */
  bool end_returned;  /* fr_stream_next already reported the end once */
  fr_status final;
  fr_msg *head, *tail;
  size_t queued_bytes;
  size_t n_received;
  int64_t deadline_ns; /* monotonic; 0 = none */
  struct fr_stream *next;
};

struct fr_conn {
  int fd;              /* -1 once closed */
  bool draining;       /* GOAWAY received or sent: no new calls */
  char *unusable_why;  /* why new calls fail (owned), NULL while usable */
  Rpc__V1__Settings settings;
  char *implementation;
  Rpc__V1__GoAway *goaway;
  uint32_t last_id;
  fr_stream *calls;
  size_t queued_bytes;
  /* frame reader state */
  uint8_t hdr[FR_FRAME_HEADER_SIZE];
  size_t hdr_got;
  bool in_payload, skipping;
  fr_frame_header cur;
  uint8_t *payload;
  size_t payload_got;
  size_t skip_left;
  /* our PING */
  uint8_t ping_data[8];
  bool ping_waiting;
  uint64_t ping_counter;
};

/* ------------------------------------------------------------------ utilities */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Milliseconds from now as a monotonic deadline; clamped (about 30 years) so nothing overflows. */
#define FR_MAX_TIMEOUT_MS 1000000000000LL
static int64_t deadline_after_ms(int64_t ms) {
  if (ms > FR_MAX_TIMEOUT_MS) ms = FR_MAX_TIMEOUT_MS;
  return now_ns() + ms * 1000000LL;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static uint32_t get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* Packs a message into a malloc'd buffer (at least 1 byte allocated). Returns 0 or -1. */
static int pack_message(const ProtobufCMessage *m, uint8_t **out, size_t *len) {
  size_t n = protobuf_c_message_get_packed_size(m);
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) return -1;
  size_t written = protobuf_c_message_pack(m, buf);
  if (written != n) {
    free(buf);
    return -1;
  }
  *out = buf;
  *len = n;
  return 0;
}

/* ------------------------------------------------------------------ status */

void fr_status_clear(fr_status *status) {
  if (!status) return;
  free(status->message);
  if (status->proto) rpc__v1__status__free_unpacked(status->proto, NULL);
  status->code = FR_OK;
  status->message = NULL;
  status->local = false;
  status->not_processed = false;
  status->proto = NULL;
}

static void status_set(fr_status *st, int code, bool local, const char *fmt, ...) {
  fr_status_clear(st);
  st->code = code;
  st->local = local;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  st->message = malloc((size_t)n + 1);
  if (st->message) {
    va_start(ap, fmt);
    vsnprintf(st->message, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
}

/* Deep copy (the proto by re-packing it). */
static void status_copy(fr_status *dst, const fr_status *src) {
  fr_status_clear(dst);
  dst->code = src->code;
  dst->local = src->local;
  dst->not_processed = src->not_processed;
  dst->message = strdup(src->message ? src->message : "");
  if (src->proto) {
    uint8_t *buf;
    size_t len;
    if (pack_message(&src->proto->base, &buf, &len) == 0) {
      dst->proto = rpc__v1__status__unpack(NULL, len, buf);
      free(buf);
    }
  }
}

static void status_move(fr_status *dst, fr_status *src) {
  fr_status_clear(dst);
  *dst = *src;
  if (!dst->message) dst->message = strdup("");
  src->message = NULL;
  src->proto = NULL;
  fr_status_clear(src);
}

const char *fr_code_name(int code) {
  static const char *const names[] = {"OK",
                                      "CANCELLED",
                                      "UNKNOWN",
                                      "INVALID_ARGUMENT",
                                      "DEADLINE_EXCEEDED",
                                      "NOT_FOUND",
                                      "ALREADY_EXISTS",
                                      "PERMISSION_DENIED",
                                      "RESOURCE_EXHAUSTED",
                                      "FAILED_PRECONDITION",
                                      "ABORTED",
                                      "OUT_OF_RANGE",
                                      "UNIMPLEMENTED",
                                      "INTERNAL",
                                      "UNAVAILABLE",
                                      "DATA_LOSS",
                                      "UNAUTHENTICATED"};
  if (code < 0 || code > 16) return "UNKNOWN";
  return names[code];
}

const Rpc__V1__FieldViolation *fr_status_field_violation(const fr_status *status, size_t i) {
  if (!status || !status->proto) return NULL;
  for (size_t d = 0; d < status->proto->n_details; d++) {
    const Rpc__V1__StatusDetail *det = status->proto->details[d];
    if (det->detail_case != RPC__V1__STATUS_DETAIL__DETAIL_BAD_REQUEST || !det->bad_request) continue;
    if (i < det->bad_request->n_field_violations) return det->bad_request->field_violations[i];
    i -= det->bad_request->n_field_violations;
  }
  return NULL;
}

const Rpc__V1__PreconditionViolation *fr_status_precondition_violation(const fr_status *status, size_t i) {
  if (!status || !status->proto) return NULL;
  for (size_t d = 0; d < status->proto->n_details; d++) {
    const Rpc__V1__StatusDetail *det = status->proto->details[d];
    if (det->detail_case != RPC__V1__STATUS_DETAIL__DETAIL_PRECONDITION_FAILURE || !det->precondition_failure)
      continue;
    if (i < det->precondition_failure->n_violations) return det->precondition_failure->violations[i];
    i -= det->precondition_failure->n_violations;
  }
  return NULL;
}

int64_t fr_status_retry_delay_ms(const fr_status *status) {
  if (!status || !status->proto) return -1;
  for (size_t d = 0; d < status->proto->n_details; d++) {
    const Rpc__V1__StatusDetail *det = status->proto->details[d];
    if (det->detail_case == RPC__V1__STATUS_DETAIL__DETAIL_RETRY_INFO && det->retry_info)
      return det->retry_info->retry_delay_ms;
  }
  return -1;
}

const Rpc__V1__ErrorInfo *fr_status_error_info(const fr_status *status) {
  if (!status || !status->proto) return NULL;
  for (size_t d = 0; d < status->proto->n_details; d++) {
    const Rpc__V1__StatusDetail *det = status->proto->details[d];
    if (det->detail_case == RPC__V1__STATUS_DETAIL__DETAIL_ERROR_INFO && det->error_info) return det->error_info;
  }
  return NULL;
}

const Rpc__V1__MetadataEntry *fr_status_trailer(const fr_status *status, const char *key) {
  if (!status || !status->proto || !key) return NULL;
  for (size_t i = 0; i < status->proto->n_trailers; i++)
    if (strcmp(status->proto->trailers[i]->key, key) == 0) return status->proto->trailers[i];
  return NULL;
}

void fr_status_print(FILE *out, const fr_status *status) {
  if (!out || !status) return;
  fprintf(out, "%s: %s%s%s\n", fr_code_name(status->code), status->message ? status->message : "",
          status->local ? " (local)" : "", status->not_processed ? " (not processed)" : "");
  if (!status->proto) return;
  for (size_t d = 0; d < status->proto->n_details; d++) {
    const Rpc__V1__StatusDetail *det = status->proto->details[d];
    switch (det->detail_case) {
      case RPC__V1__STATUS_DETAIL__DETAIL_BAD_REQUEST:
        for (size_t i = 0; det->bad_request && i < det->bad_request->n_field_violations; i++)
          fprintf(out, "  field violation: %s: %s\n", det->bad_request->field_violations[i]->field,
                  det->bad_request->field_violations[i]->explanation);
        break;
      case RPC__V1__STATUS_DETAIL__DETAIL_PRECONDITION_FAILURE:
        for (size_t i = 0; det->precondition_failure && i < det->precondition_failure->n_violations; i++) {
          const Rpc__V1__PreconditionViolation *v = det->precondition_failure->violations[i];
          fprintf(out, "  precondition failure: %s %s: %s\n", v->kind, v->subject, v->explanation);
        }
        break;
      case RPC__V1__STATUS_DETAIL__DETAIL_RETRY_INFO:
        if (det->retry_info) fprintf(out, "  retry after %lld ms\n", (long long)det->retry_info->retry_delay_ms);
        break;
      case RPC__V1__STATUS_DETAIL__DETAIL_ERROR_INFO:
        if (det->error_info) fprintf(out, "  error info: %s (%s)\n", det->error_info->reason, det->error_info->domain);
        break;
      case RPC__V1__STATUS_DETAIL__DETAIL_OPAQUE:
        if (det->opaque)
          fprintf(out, "  opaque detail: %s (%zu bytes)\n", det->opaque->kind, det->opaque->value.len);
        break;
      default:
        fprintf(out, "  (an empty or unknown detail)\n");
    }
  }
  for (size_t i = 0; i < status->proto->n_trailers; i++) {
    const Rpc__V1__MetadataEntry *t = status->proto->trailers[i];
    if (t->value_case == RPC__V1__METADATA_ENTRY__VALUE_TEXT)
      fprintf(out, "  trailer %s: %s\n", t->key, t->text);
    else if (t->value_case == RPC__V1__METADATA_ENTRY__VALUE_BINARY)
      fprintf(out, "  trailer %s: (%zu bytes)\n", t->key, t->binary.len);
    else
      fprintf(out, "  trailer %s\n", t->key);
  }
}

void fr_bytes_free(fr_bytes *bytes) {
  if (!bytes) return;
  free(bytes->data);
  bytes->data = NULL;
  bytes->len = 0;
}

/* ------------------------------------------------------------------ framing */

void fr_encode_frame_header(uint8_t out[FR_FRAME_HEADER_SIZE], uint8_t type, uint8_t flags, uint32_t call_id,
                            uint32_t length) {
  out[0] = 1;
  out[1] = type;
  out[2] = flags;
  out[3] = 0;
  put32(out + 4, call_id);
  put32(out + 8, length);
}

int fr_decode_frame_header(const uint8_t in[FR_FRAME_HEADER_SIZE], fr_frame_header *out, char *why, size_t why_len) {
  out->version = in[0];
  out->type = in[1];
  out->flags = in[2];
  out->reserved = in[3];
  out->call_id = get32(in + 4);
  out->length = get32(in + 8);
  if (out->version != 1) {
    if (why) snprintf(why, why_len, "frame version %u, expected 1", out->version);
    return -1;
  }
  if (out->reserved != 0) {
    if (why) snprintf(why, why_len, "non-zero reserved byte 0x%02x in a frame header", out->reserved);
    return -1;
  }
  return 0;
}

size_t fr_encode_client_preface(uint8_t **out) {
  Rpc__V1__Settings s = RPC__V1__SETTINGS__INIT;
  s.max_frame_size = FR_CLIENT_MAX_FRAME_SIZE;
  s.max_metadata_size = FR_CLIENT_MAX_METADATA_SIZE;
  s.implementation = (char *)"fieldreport-c/1";
  size_t n = rpc__v1__settings__get_packed_size(&s);
  uint8_t *buf = malloc(FR_PREFACE_FIXED_SIZE + n);
  if (!buf) return 0;
  memcpy(buf, PREFACE_MAGIC, 8);
  buf[8] = 0;
  buf[9] = 1; /* lowest version */
  buf[10] = 0;
  buf[11] = 1; /* highest version */
  put32(buf + 12, (uint32_t)n);
  rpc__v1__settings__pack(&s, buf + FR_PREFACE_FIXED_SIZE);
  *out = buf;
  return FR_PREFACE_FIXED_SIZE + n;
}

bool fr_metadata_key_valid(const char *key) {
  if (!key) return false;
  size_t n = strlen(key);
  if (n < 1 || n > 256) return false;
  for (size_t i = 0; i < n; i++) {
    char ch = key[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.')) return false;
  }
  return true;
}

size_t fr_encode_headers_frame(uint8_t **out, uint32_t call_id, const char *method_path, int64_t timeout_us,
                               const fr_metadata *metadata, size_t n_metadata) {
  Rpc__V1__CallHeaders h = RPC__V1__CALL_HEADERS__INIT;
  h.method_path = (char *)(method_path ? method_path : "");
  if (timeout_us >= 0) {
    h.timeout_opt_case = RPC__V1__CALL_HEADERS__TIMEOUT_OPT_TIMEOUT_US;
    h.timeout_us = timeout_us;
  }
  Rpc__V1__MetadataEntry *entries = NULL;
  Rpc__V1__MetadataEntry **ptrs = NULL;
  if (n_metadata > 0) {
    entries = calloc(n_metadata, sizeof *entries);
    ptrs = calloc(n_metadata, sizeof *ptrs);
    if (!entries || !ptrs) {
      free(entries);
      free(ptrs);
      return 0;
    }
    for (size_t i = 0; i < n_metadata; i++) {
      rpc__v1__metadata_entry__init(&entries[i]);
      entries[i].key = (char *)(metadata[i].key ? metadata[i].key : "");
      if (metadata[i].text) {
        entries[i].value_case = RPC__V1__METADATA_ENTRY__VALUE_TEXT;
        entries[i].text = (char *)metadata[i].text;
      } else {
        entries[i].value_case = RPC__V1__METADATA_ENTRY__VALUE_BINARY;
        entries[i].binary.data = (uint8_t *)metadata[i].binary;
        entries[i].binary.len = metadata[i].binary ? metadata[i].binary_len : 0;
      }
      ptrs[i] = &entries[i];
    }
    h.n_metadata = n_metadata;
    h.metadata = ptrs;
  }
  size_t n = rpc__v1__call_headers__get_packed_size(&h);
  uint8_t *buf = malloc(FR_FRAME_HEADER_SIZE + n);
  if (buf) {
    fr_encode_frame_header(buf, FR_FRAME_HEADERS, 0, call_id, (uint32_t)n);
    rpc__v1__call_headers__pack(&h, buf + FR_FRAME_HEADER_SIZE);
  }
  free(entries);
  free(ptrs);
  if (!buf) return 0;
  *out = buf;
  return FR_FRAME_HEADER_SIZE + n;
}

/* ------------------------------------------------------------------ connection I/O */

static void call_fail(fr_stream *s, int code, bool not_processed, const char *fmt, ...);

static void close_socket(fr_conn *c) {
  if (c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
}

static void set_unusable(fr_conn *c, const char *why) {
  if (c->unusable_why) return;
  c->unusable_why = strdup(why);
}

/* Fails every open call and closes the socket. */
static void conn_fail(fr_conn *c, int code, const char *why) {
  set_unusable(c, why);
  close_socket(c);
  for (fr_stream *s = c->calls; s; s = s->next)
    if (!s->done) call_fail(s, code, false, "%s", why);
}

/* Writes all bytes (the socket is non-blocking). Returns 0, or -1 after failing the connection. */
static int send_all(fr_conn *c, const uint8_t *buf, size_t len) {
  int64_t stall_deadline = now_ns() + FR_WRITE_STALL_NS;
  while (len > 0) {
    if (c->fd < 0) return -1;
    ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
    if (n > 0) {
      buf += n;
      len -= (size_t)n;
      stall_deadline = now_ns() + FR_WRITE_STALL_NS;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int64_t left = stall_deadline - now_ns();
      if (left <= 0) {
        conn_fail(c, FR_UNAVAILABLE, "write stalled for 60 s: connection considered lost");
        return -1;
      }
      struct pollfd p = {c->fd, POLLOUT, 0};
      int r = poll(&p, 1, (int)(left / 1000000 + 1));
      if (r < 0 && errno != EINTR) {
        conn_fail(c, FR_UNAVAILABLE, "poll failed while writing");
        return -1;
      }
      continue;
    }
    char why[160];
    snprintf(why, sizeof why, "connection lost: write failed: %s", strerror(n < 0 ? errno : EPIPE));
    conn_fail(c, FR_UNAVAILABLE, why);
    return -1;
  }
  return 0;
}

static int send_frame(fr_conn *c, uint8_t type, uint8_t flags, uint32_t id, const uint8_t *payload, size_t len) {
  uint8_t small[FR_FRAME_HEADER_SIZE + 64];
  uint8_t *buf = len <= 64 ? small : malloc(FR_FRAME_HEADER_SIZE + len);
  if (!buf) return -1;
  fr_encode_frame_header(buf, type, flags, id, (uint32_t)len);
  if (len) memcpy(buf + FR_FRAME_HEADER_SIZE, payload, len);
  int r = send_all(c, buf, FR_FRAME_HEADER_SIZE + len);
  if (buf != small) free(buf);
  return r;
}

static void send_goaway(fr_conn *c, Rpc__V1__GoAwayCode code, const char *reason) {
  if (c->fd < 0) return;
  Rpc__V1__GoAway g = RPC__V1__GO_AWAY__INIT;
  g.last_call_id = c->last_id;
  g.code = code;
  g.reason = (char *)(reason ? reason : "");
  uint8_t *buf;
  size_t len;
  if (pack_message(&g.base, &buf, &len) != 0) return;
  if (len > FR_MAX_CONTROL_FRAME_SIZE) len = 0; /* never: reasons are short */
  send_frame(c, FR_FRAME_GOAWAY, 0, 0, buf, len);
  free(buf);
}

/* A protocol error by the server: GOAWAY, close, fail every open call INTERNAL. */
static void protocol_error(fr_conn *c, Rpc__V1__GoAwayCode code, const char *fmt, ...) {
  char why[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  send_goaway(c, code, why);
  char full[300];
  snprintf(full, sizeof full, "protocol error by the server: %s", why);
  conn_fail(c, FR_INTERNAL, full);
}

static fr_stream *find_call(fr_conn *c, uint32_t id) {
  for (fr_stream *s = c->calls; s; s = s->next)
    if (s->id == id) return s;
  return NULL;
}

static void free_queue(fr_stream *s) {
  fr_msg *m = s->head;
  while (m) {
    fr_msg *n = m->next;
    if (s->conn) s->conn->queued_bytes -= m->len;
    free(m->data);
    free(m);
    m = n;
  }
  s->head = s->tail = NULL;
  s->queued_bytes = 0;
}

static void call_fail(fr_stream *s, int code, bool not_processed, const char *fmt, ...) {
  if (s->done) return;
  char why[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  status_set(&s->final, code, true, "%s", why);
  s->final.not_processed = not_processed;
  s->done = true;
  if (s->unary) free_queue(s);
}

/* Sends CANCEL for an open call (if the connection is alive) and fails it locally. */
static void call_cancel(fr_stream *s, int code, const char *why) {
  if (s->done) return;
  if (s->conn && s->conn->fd >= 0) send_frame(s->conn, FR_FRAME_CANCEL, 0, s->id, NULL, 0);
  call_fail(s, code, false, "%s", why);
}

static void on_message(fr_conn *c, fr_stream *s, uint8_t *payload, size_t len) {
  if (s->unary && s->n_received >= 1) {
    free(payload);
    call_cancel(s, FR_INTERNAL, "the server sent a second response message on a unary call");
    return;
  }
  if (c->queued_bytes + len > FR_MAX_QUEUED_BYTES) {
    free(payload);
    call_cancel(s, FR_RESOURCE_EXHAUSTED, "too many unread response bytes queued on this connection");
    return;
  }
  fr_msg *m = malloc(sizeof *m);
  if (!m) {
    free(payload);
    call_cancel(s, FR_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  m->next = NULL;
  m->data = payload;
  m->len = len;
  if (s->tail)
    s->tail->next = m;
  else
    s->head = m;
  s->tail = m;
  s->queued_bytes += len;
  c->queued_bytes += len;
  s->n_received++;
}

static void on_status(fr_stream *s, const uint8_t *payload, size_t len) {
  fr_status *st = &s->final;
  fr_status_clear(st);
  if (len == 0) {
    st->code = FR_OK;
    st->message = strdup("");
  } else {
    Rpc__V1__Status *p = rpc__v1__status__unpack(NULL, len, payload);
    if (!p) {
      call_fail(s, FR_INTERNAL, false, "the server's STATUS payload (%zu bytes) does not decode as rpc.v1.Status", len);
      return;
    }
    int code = (int)p->code;
    st->code = (code >= 0 && code <= 16) ? code : FR_UNKNOWN;
    st->message = strdup(p->message ? p->message : "");
    st->proto = p;
  }
  s->done = true;
  if (s->unary && st->code == FR_OK && s->n_received == 0) {
    s->done = false;
    call_fail(s, FR_INTERNAL, false, "the server ended a unary call OK without a response message");
    return;
  }
  if (s->unary && st->code != FR_OK) free_queue(s);
}

static const char *goaway_code_name(int code) {
  const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&rpc__v1__go_away_code__descriptor, code);
  return v ? v->name + strlen("GO_AWAY_CODE_") : "UNKNOWN";
}

static void on_goaway(fr_conn *c, const uint8_t *payload, size_t len) {
  Rpc__V1__GoAway *g = rpc__v1__go_away__unpack(NULL, len, payload);
  if (!g) {
    protocol_error(c, RPC__V1__GO_AWAY_CODE__GO_AWAY_CODE_PROTOCOL_ERROR, "undecodable GOAWAY payload (%zu bytes)",
                   len);
    return;
  }
  if (c->goaway) rpc__v1__go_away__free_unpacked(c->goaway, NULL);
  c->goaway = g;
  c->draining = true;
  char why[400];
  snprintf(why, sizeof why, "the server sent GOAWAY %s (last call %u: %s): open a new connection",
           goaway_code_name((int)g->code), g->last_call_id, g->reason ? g->reason : "");
  set_unusable(c, why);
  for (fr_stream *s = c->calls; s; s = s->next)
    if (!s->done && s->id > g->last_call_id)
      call_fail(s, FR_UNAVAILABLE, true,
                "the server did not process this call (GOAWAY, last call %u): it may be resent on a new connection",
                g->last_call_id);
  if (g->code != RPC__V1__GO_AWAY_CODE__GO_AWAY_CODE_NO_ERROR) {
    char closing[480];
    snprintf(closing, sizeof closing, "the server closed the connection (GOAWAY %s): %s",
             goaway_code_name((int)g->code), g->reason ? g->reason : "");
    conn_fail(c, FR_UNAVAILABLE, closing);
  }
}

/* A complete frame (payload ownership passes here). */
static void dispatch(fr_conn *c, uint8_t *payload) {
  const fr_frame_header *h = &c->cur;
  size_t len = h->length;
  switch (h->type) {
    case FR_FRAME_MESSAGE: {
      fr_stream *s = find_call(c, h->call_id);
      if (s && !s->done) {
        on_message(c, s, payload, len);
        return;
      }
      break; /* a call that ended: ignored */
    }
    case FR_FRAME_STATUS: {
      fr_stream *s = find_call(c, h->call_id);
      if (s && !s->done) on_status(s, payload, len);
      break;
    }
    case FR_FRAME_PING:
      if (h->flags & FR_FLAG_ACK) {
        if (c->ping_waiting && memcmp(payload, c->ping_data, 8) == 0) c->ping_waiting = false;
      } else {
        send_frame(c, FR_FRAME_PING, FR_FLAG_ACK, 0, payload, 8);
      }
      break;
    case FR_FRAME_GOAWAY:
      on_goaway(c, payload, len);
      break;
    default:
      break; /* rejected at the header */
  }
  free(payload);
}

/* Checks a complete frame header; decides to read, skip or fail. */
static void on_header(fr_conn *c) {
  char why[128];
  if (fr_decode_frame_header(c->hdr, &c->cur, why, sizeof why) != 0) {
    protocol_error(c, RPC__V1__GO_AWAY_CODE__GO_AWAY_CODE_PROTOCOL_ERROR, "%s", why);
    return;
  }
  const fr_frame_header *h = &c->cur;
  bool skip = false;
  switch (h->type) {
    case FR_FRAME_MESSAGE:
    case FR_FRAME_STATUS: {
      if (h->call_id == 0 || h->call_id > c->last_id) {
        protocol_error(c, RPC__V1__GO_AWAY_CODE__GO_AWAY_CODE_PROTOCOL_ERROR, "%s for call %u, which was never opened",
                       h->type == FR_FRAME_MESSAGE ? "MESSAGE" : "STATUS", h->call_id);
        return;
      }
      fr_stream *s = find_call(c, h->call_id);
      if (h->type == FR_FRAME_MESSAGE && h->length > FR_CLIENT_MAX_FRAME_SIZE) {
        skip = true;
        if (s && !s->done) {
          char m[160];
          snprintf(m, sizeof m, "the server sent a %u-byte response message, over this client's limit of %u bytes",
                   h->length, FR_CLIENT_MAX_FRAME_SIZE);
          call_cancel(s, FR_RESOURCE_EXHAUSTED, m);
        }
      } else if (h->type == FR_FRAME_STATUS && h->length > FR_CLIENT_MAX_METADATA_SIZE) {
        skip = true;
        if (s && !s->done)
          call_fail(s, FR_RESOURCE_EXHAUSTED, false, "the server sent a %u-byte STATUS, over this client's limit of %u bytes",
                    h->length, FR_CLIENT_MAX_METADATA_SIZE);
      } else if (!s || s->done) {
        skip = true; /* an ended call's frame */
      }
      break;
    }
    case FR_FRAME_PING:
      if (h->length != 8) {
        protocol_error(c, RPC__V1__GO_AWAY_CODE__GO_AWAY_CODE_PROTOCOL_ERROR, "PING payload of %u bytes, expected 8",
                       h->length);
        return;
      }
      break;
    case FR_FRAME_GOAWAY:
      if (h->length > FR_MAX_CONTROL_FRAME_SIZE) {
        protocol_error(c, RPC__V1__GO_AWAY_CODE__GO_AWAY_CODE_FRAME_TOO_LARGE, "GOAWAY of %u bytes (limit %u)",
                       h->length, FR_MAX_CONTROL_FRAME_SIZE);
        return;
      }
      break;
    case FR_FRAME_HEADERS:
    case FR_FRAME_CANCEL:
      protocol_error(c, RPC__V1__GO_AWAY_CODE__GO_AWAY_CODE_PROTOCOL_ERROR, "a server may not send %s frames",
                     h->type == FR_FRAME_HEADERS ? "HEADERS" : "CANCEL");
      return;
    default:
      protocol_error(c, RPC__V1__GO_AWAY_CODE__GO_AWAY_CODE_PROTOCOL_ERROR, "unknown frame type 0x%02x", h->type);
      return;
  }
  c->in_payload = true;
  c->skipping = skip;
  c->payload_got = 0;
  c->skip_left = skip ? h->length : 0;
  if (!skip) {
    c->payload = malloc(h->length ? h->length : 1);
    if (!c->payload) {
      conn_fail(c, FR_RESOURCE_EXHAUSTED, "out of memory for a frame");
      return;
    }
  }
}

static void frame_done(fr_conn *c) {
  c->in_payload = false;
  c->skipping = false;
  c->hdr_got = 0;
  if (c->payload) {
    uint8_t *p = c->payload;
    c->payload = NULL;
    dispatch(c, p);
  }
}

/* Feeds received bytes to the frame parser. */
static void feed(fr_conn *c, const uint8_t *data, size_t n) {
  while (n > 0 && c->fd >= 0) {
    if (!c->in_payload) {
      size_t take = FR_FRAME_HEADER_SIZE - c->hdr_got;
      if (take > n) take = n;
      memcpy(c->hdr + c->hdr_got, data, take);
      c->hdr_got += take;
      data += take;
      n -= take;
      if (c->hdr_got == FR_FRAME_HEADER_SIZE) {
        on_header(c);
        if (c->fd >= 0 && c->in_payload && c->cur.length == 0) frame_done(c);
      }
    } else if (c->skipping) {
      size_t take = c->skip_left < n ? c->skip_left : n;
      c->skip_left -= take;
      data += take;
      n -= take;
      if (c->skip_left == 0) frame_done(c);
    } else {
      size_t want = c->cur.length - c->payload_got;
      size_t take = want < n ? want : n;
      memcpy(c->payload + c->payload_got, data, take);
      c->payload_got += take;
      data += take;
      n -= take;
      if (c->payload_got == c->cur.length) frame_done(c);
    }
  }
}

/*
 * Waits for bytes until `until_ns` (0: no limit) and processes what arrived.
 * Returns 1 when something was processed, 0 on timeout, -1 when the connection is closed.
 */
static int pump(fr_conn *c, int64_t until_ns) {
  if (c->fd < 0) return -1;
  int timeout = -1;
  if (until_ns < 0) {
    timeout = 0;
  } else if (until_ns > 0) {
    int64_t left = until_ns - now_ns();
    if (left <= 0) {
      timeout = 0;
    } else {
      int64_t ms = (left + 999999) / 1000000;
      timeout = ms > 1000000 ? 1000000 : (int)ms;
    }
  }
  struct pollfd p = {c->fd, POLLIN, 0};
  int r = poll(&p, 1, timeout);
  if (r < 0) {
    if (errno == EINTR) return 1;
    conn_fail(c, FR_UNAVAILABLE, "poll failed");
    return -1;
  }
  if (r == 0) return 0;
  uint8_t buf[65536];
  ssize_t n = recv(c->fd, buf, sizeof buf, 0);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return 1;
    char why[160];
    snprintf(why, sizeof why, "connection lost: %s", strerror(errno));
    conn_fail(c, FR_UNAVAILABLE, why);
    return -1;
  }
  if (n == 0) {
    if (c->in_payload || c->hdr_got > 0)
      conn_fail(c, FR_INTERNAL, "protocol error by the server: the connection ended in the middle of a frame");
    else
      conn_fail(c, FR_UNAVAILABLE, "the server closed the connection");
    return -1;
  }
  feed(c, buf, (size_t)n);
  return 1;
}

/* Processes whatever has already arrived, without blocking. */
static void pump_ready(fr_conn *c) {
  while (c->fd >= 0 && pump(c, -1 /* poll timeout 0 */) == 1) {
  }
}

/* ------------------------------------------------------------------ connect / close */

static int read_exact(fr_conn *c, uint8_t *buf, size_t len, int64_t deadline_ns, fr_status *err) {
  size_t got = 0;
  while (got < len) {
    int timeout = -1;
    if (deadline_ns > 0) {
      int64_t left = deadline_ns - now_ns();
      if (left <= 0) {
        status_set(err, FR_DEADLINE_EXCEEDED, true, "timed out waiting for the server's preface");
        return -1;
      }
      timeout = (int)((left + 999999) / 1000000);
    }
    struct pollfd p = {c->fd, POLLIN, 0};
    int r = poll(&p, 1, timeout);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      status_set(err, FR_UNAVAILABLE, true, "poll failed: %s", strerror(errno));
      return -1;
    }
    if (r == 0) continue;
    ssize_t n = recv(c->fd, buf + got, len - got, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n < 0) {
      status_set(err, FR_UNAVAILABLE, true, "connection lost during the handshake: %s", strerror(errno));
      return -1;
    }
    if (n == 0) {
      status_set(err, FR_UNAVAILABLE, true,
                 "the server closed the connection before its preface was complete (it may be at its connection "
                 "limit: back off before connecting again)");
      return -1;
    }
    got += (size_t)n;
  }
  return 0;
}

static int tcp_connect(const char *host, int port, int64_t deadline_ns, fr_status *err) {
  char portstr[16];
  snprintf(portstr, sizeof portstr, "%d", port);
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo *res = NULL;
  int gai = getaddrinfo(host, portstr, &hints, &res);
  if (gai != 0) {
    status_set(err, FR_UNAVAILABLE, true, "cannot resolve %s: %s", host, gai_strerror(gai));
    return -1;
  }
  int fd = -1;
  bool timed_out = false;
  char last[200] = "no address";
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) {
      snprintf(last, sizeof last, "socket: %s", strerror(errno));
      continue;
    }
    int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      for (;;) {
        int timeout = -1;
        if (deadline_ns > 0) {
          int64_t left = deadline_ns - now_ns();
          timeout = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        }
        struct pollfd p = {fd, POLLOUT, 0};
        int pr = poll(&p, 1, timeout);
        if (pr < 0 && errno == EINTR) continue;
        if (pr == 0) {
          timed_out = true;
          errno = ETIMEDOUT;
          r = -1;
          break;
        }
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        errno = soerr;
        r = soerr == 0 ? 0 : -1;
        break;
      }
    }
    if (r == 0) break;
    snprintf(last, sizeof last, "%s", strerror(errno));
    close(fd);
    fd = -1;
    if (deadline_ns > 0 && now_ns() >= deadline_ns) break;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    status_set(err, timed_out ? FR_DEADLINE_EXCEEDED : FR_UNAVAILABLE, true,
               "cannot connect to %s:%d: %s", host, port, last);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void free_stream(fr_stream *s) {
  free_queue(s);
  fr_status_clear(&s->final);
  free(s);
}

fr_conn *fr_connect(const char *host, int port, int64_t timeout_ms, fr_status *error) {
  fr_status local = FR_STATUS_INIT;
  fr_status *err = error ? error : &local;
  fr_status_clear(err);
  if (!host || port <= 0 || port > 65535) {
    status_set(err, FR_INVALID_ARGUMENT, true, "fr_connect: a host and a port 1…65535 are required");
    fr_status_clear(&local);
    return NULL;
  }
  int64_t deadline = timeout_ms > 0 ? deadline_after_ms(timeout_ms) : 0;
  fr_conn *c = calloc(1, sizeof *c);
  if (!c) {
    status_set(err, FR_RESOURCE_EXHAUSTED, true, "out of memory");
    fr_status_clear(&local);
    return NULL;
  }
  c->fd = -1;
  rpc__v1__settings__init(&c->settings);
  c->fd = tcp_connect(host, port, deadline, err);
  if (c->fd < 0) goto fail;
  uint8_t *preface;
  size_t plen = fr_encode_client_preface(&preface);
  if (plen == 0) {
    status_set(err, FR_RESOURCE_EXHAUSTED, true, "out of memory");
    goto fail;
  }
  int sent = send_all(c, preface, plen);
  free(preface);
  if (sent != 0) {
    status_set(err, FR_UNAVAILABLE, true, "%s", c->unusable_why ? c->unusable_why : "could not send the preface");
    goto fail;
  }
  uint8_t fixed[FR_PREFACE_FIXED_SIZE];
  if (read_exact(c, fixed, sizeof fixed, deadline, err) != 0) goto fail;
  if (memcmp(fixed, PREFACE_MAGIC, 8) != 0) {
    status_set(err, FR_INTERNAL, true, "protocol error: the server's preface does not start with the magic bytes");
    goto fail;
  }
  unsigned version = ((unsigned)fixed[8] << 8) | fixed[9];
  if (version == 0) {
    status_set(err, FR_UNAVAILABLE, true, "the server speaks no protocol version in 1…1");
    goto fail;
  }
  if (version != 1) {
    status_set(err, FR_INTERNAL, true, "protocol error: the server chose version %u, outside the offered 1…1", version);
    goto fail;
  }
  uint32_t slen = get32(fixed + 12);
  if (slen > FR_MAX_SETTINGS_SIZE) {
    status_set(err, FR_INTERNAL, true, "protocol error: server settings of %u bytes (limit %u)", slen,
               FR_MAX_SETTINGS_SIZE);
    goto fail;
  }
  uint8_t sbuf[FR_MAX_SETTINGS_SIZE];
  if (slen > 0 && read_exact(c, sbuf, slen, deadline, err) != 0) goto fail;
  Rpc__V1__Settings *s = rpc__v1__settings__unpack(NULL, slen, sbuf);
  if (!s) {
    send_goaway(c, RPC__V1__GO_AWAY_CODE__GO_AWAY_CODE_PROTOCOL_ERROR, "undecodable settings");
    status_set(err, FR_INTERNAL, true, "protocol error: the server's settings do not decode as rpc.v1.Settings");
    goto fail;
  }
  if ((s->max_frame_size != 0 && s->max_frame_size < MIN_LIMIT) ||
      (s->max_metadata_size != 0 && s->max_metadata_size < MIN_LIMIT)) {
    send_goaway(c, RPC__V1__GO_AWAY_CODE__GO_AWAY_CODE_PROTOCOL_ERROR, "settings limit below 1024");
    status_set(err, FR_INTERNAL, true, "protocol error: the server announced a frame or metadata limit below 1024 bytes");
    rpc__v1__settings__free_unpacked(s, NULL);
    goto fail;
  }
  c->settings.max_frame_size = s->max_frame_size ? s->max_frame_size : DEFAULT_MAX_FRAME_SIZE;
  c->settings.max_concurrent_calls = s->max_concurrent_calls ? s->max_concurrent_calls : DEFAULT_MAX_CONCURRENT_CALLS;
  c->settings.max_metadata_size = s->max_metadata_size ? s->max_metadata_size : DEFAULT_MAX_METADATA_SIZE;
  c->settings.keepalive_interval_ms = s->keepalive_interval_ms;
  c->settings.idle_timeout_ms = s->idle_timeout_ms;
  c->implementation = strdup(s->implementation ? s->implementation : "");
  c->settings.implementation = c->implementation ? c->implementation : (char *)"";
  rpc__v1__settings__free_unpacked(s, NULL);
  fr_status_clear(&local);
  status_set(err, FR_OK, true, "");
  return c;
fail:
  close_socket(c);
  free(c->unusable_why);
  free(c);
  fr_status_clear(&local);
  return NULL;
}

void fr_close(fr_conn *c) {
  if (!c) return;
  if (c->fd >= 0) {
    for (fr_stream *s = c->calls; s; s = s->next)
      if (!s->done) send_frame(c, FR_FRAME_CANCEL, 0, s->id, NULL, 0);
    send_goaway(c, RPC__V1__GO_AWAY_CODE__GO_AWAY_CODE_NO_ERROR, "client closing");
    close_socket(c);
  }
  fr_stream *s = c->calls;
  while (s) {
    fr_stream *n = s->next;
    s->conn = NULL;
    free_stream(s);
    s = n;
  }
  free(c->payload);
  free(c->unusable_why);
  free(c->implementation);
  if (c->goaway) rpc__v1__go_away__free_unpacked(c->goaway, NULL);
  free(c);
}

const Rpc__V1__Settings *fr_server_settings(const fr_conn *c) { return c ? &c->settings : NULL; }

bool fr_conn_usable(const fr_conn *c) { return c && c->fd >= 0 && !c->draining && !c->unusable_why; }

const Rpc__V1__GoAway *fr_conn_goaway(const fr_conn *c) { return c ? c->goaway : NULL; }

int64_t fr_ping(fr_conn *c, int64_t timeout_ms, fr_status *error) {
  fr_status local = FR_STATUS_INIT;
  fr_status *err = error ? error : &local;
  fr_status_clear(err);
  if (!c || c->fd < 0) {
    status_set(err, FR_UNAVAILABLE, true, "%s", c && c->unusable_why ? c->unusable_why : "connection closed");
    fr_status_clear(&local);
    return -1;
  }
  int64_t start = now_ns();
  int64_t deadline = timeout_ms > 0 ? deadline_after_ms(timeout_ms) : 0;
  uint64_t n = ++c->ping_counter;
  for (int i = 0; i < 8; i++) c->ping_data[i] = (uint8_t)(n >> (56 - 8 * i));
  c->ping_waiting = true;
  if (send_frame(c, FR_FRAME_PING, 0, 0, c->ping_data, 8) != 0) {
    status_set(err, FR_UNAVAILABLE, true, "%s", c->unusable_why ? c->unusable_why : "write failed");
    fr_status_clear(&local);
    return -1;
  }
  while (c->ping_waiting) {
    int r = pump(c, deadline);
    if (r < 0) {
      status_set(err, FR_UNAVAILABLE, true, "%s", c->unusable_why ? c->unusable_why : "connection closed");
      c->ping_waiting = false;
      fr_status_clear(&local);
      return -1;
    }
    if (r == 0 && deadline > 0 && now_ns() >= deadline) {
      status_set(err, FR_DEADLINE_EXCEEDED, true, "no PING ACK within %lld ms", (long long)timeout_ms);
      c->ping_waiting = false;
      fr_status_clear(&local);
      return -1;
    }
  }
  fr_status_clear(&local);
  return (now_ns() - start) / 1000;
}

/* ------------------------------------------------------------------ calls */

/* Starts a call. On failure returns NULL with `status` set. */
static fr_stream *start_call(fr_conn *c, const char *path, const void *req, size_t req_len,
                             const fr_call_options *opt, bool unary, fr_status *status) {
  fr_status_clear(status);
  if (!c) {
    status_set(status, FR_INVALID_ARGUMENT, true, "no connection");
    return NULL;
  }
  if (!path || path[0] != '/') {
    status_set(status, FR_INVALID_ARGUMENT, true, "a method path \"/package.Service/Method\" is required");
    return NULL;
  }
  if (req_len > 0 && !req) {
    status_set(status, FR_INVALID_ARGUMENT, true, "request bytes missing");
    return NULL;
  }
  pump_ready(c); /* notice a GOAWAY or a closed connection before sending */
  if (!fr_conn_usable(c)) {
    status_set(status, FR_UNAVAILABLE, true, "%s", c->unusable_why ? c->unusable_why : "the connection is draining");
    status->not_processed = true;
    return NULL;
  }
  size_t n_md = opt ? opt->n_metadata : 0;
  const fr_metadata *md = opt ? opt->metadata : NULL;
  if (n_md > 0 && !md) {
    status_set(status, FR_INVALID_ARGUMENT, true, "metadata missing");
    return NULL;
  }
  for (size_t i = 0; i < n_md; i++) {
    if (!fr_metadata_key_valid(md[i].key)) {
      status_set(status, FR_INVALID_ARGUMENT, true,
                 "invalid metadata key \"%s\" (1-256 lowercase ASCII letters, digits, '-', '_', '.')",
                 md[i].key ? md[i].key : "(null)");
      return NULL;
    }
  }
  if (req_len > c->settings.max_frame_size) {
    status_set(status, FR_RESOURCE_EXHAUSTED, true, "the request (%zu bytes) exceeds the server's limit of %u bytes",
               req_len, c->settings.max_frame_size);
    return NULL;
  }
  size_t open = 0;
  for (fr_stream *s = c->calls; s; s = s->next)
    if (!s->done) open++;
  if (open >= c->settings.max_concurrent_calls) {
    status_set(status, FR_RESOURCE_EXHAUSTED, true, "%zu calls already in flight (the server's limit)", open);
    return NULL;
  }
  if (c->last_id == UINT32_MAX) {
    set_unusable(c, "call ids exhausted: open a new connection");
    status_set(status, FR_UNAVAILABLE, true, "call ids exhausted: open a new connection");
    status->not_processed = true;
    return NULL;
  }
  int64_t timeout_ms = opt ? opt->timeout_ms : 0;
  int64_t timeout_us = -1, deadline = 0;
  int64_t now = now_ns();
  if (timeout_ms > 0) {
    if (timeout_ms > FR_MAX_TIMEOUT_MS) timeout_ms = FR_MAX_TIMEOUT_MS;
    timeout_us = timeout_ms * 1000;
    deadline = now + timeout_ms * 1000000LL;
  } else if (timeout_ms < 0) {
    timeout_us = 0;
    deadline = now;
  }
  uint32_t id = c->last_id + 1;
  uint8_t *hbuf;
  size_t hlen = fr_encode_headers_frame(&hbuf, id, path, timeout_us, md, n_md);
  if (hlen == 0) {
    status_set(status, FR_RESOURCE_EXHAUSTED, true, "out of memory");
    return NULL;
  }
  if (hlen - FR_FRAME_HEADER_SIZE > c->settings.max_metadata_size) {
    status_set(status, FR_RESOURCE_EXHAUSTED, true, "the call headers (%zu bytes) exceed the server's limit of %u bytes",
               hlen - FR_FRAME_HEADER_SIZE, c->settings.max_metadata_size);
    free(hbuf);
    return NULL;
  }
  fr_stream *s = calloc(1, sizeof *s);
  uint8_t *frame = malloc(hlen + FR_FRAME_HEADER_SIZE + req_len);
  if (!s || !frame) {
    free(s);
    free(frame);
    free(hbuf);
    status_set(status, FR_RESOURCE_EXHAUSTED, true, "out of memory");
    return NULL;
  }
  memcpy(frame, hbuf, hlen);
  free(hbuf);
  fr_encode_frame_header(frame + hlen, FR_FRAME_MESSAGE, FR_FLAG_END_STREAM, id, (uint32_t)req_len);
  if (req_len) memcpy(frame + hlen + FR_FRAME_HEADER_SIZE, req, req_len);
  s->conn = c;
  s->id = id;
  s->unary = unary;
  s->deadline_ns = deadline;
  c->last_id = id;
  s->next = c->calls;
  c->calls = s;
  /* A write failure fails every open call, this one included. */
  send_all(c, frame, hlen + FR_FRAME_HEADER_SIZE + req_len);
  free(frame);
  return s;
}

static void unlink_stream(fr_stream *s) {
  if (!s->conn) return;
  for (fr_stream **p = &s->conn->calls; *p; p = &(*p)->next) {
    if (*p == s) {
      *p = s->next;
      break;
    }
  }
}

/* Waits until the call ends, a message is queued (if want_message), or until `until_ns`. */
static void wait_call(fr_stream *s, bool want_message, int64_t until_ns) {
  fr_conn *c = s->conn;
  for (;;) {
    if (s->done || (want_message && s->head)) return;
    int64_t now = now_ns();
    if (s->deadline_ns > 0 && now >= s->deadline_ns) {
      call_cancel(s, FR_DEADLINE_EXCEEDED, "deadline exceeded (the client gave up waiting)");
      return;
    }
    if (until_ns > 0 && now >= until_ns) return;
    int64_t limit = s->deadline_ns;
    if (until_ns > 0 && (limit == 0 || until_ns < limit)) limit = until_ns;
    if (!c || pump(c, limit) < 0) {
      if (!s->done) call_fail(s, FR_UNAVAILABLE, false, "%s", c && c->unusable_why ? c->unusable_why : "connection closed");
      return;
    }
  }
}

int fr_call(fr_conn *c, const char *path, const void *req, size_t req_len, const fr_call_options *opt,
            fr_bytes *response, fr_status *status) {
  if (!status) return FR_INVALID_ARGUMENT;
  if (response) {
    response->data = NULL;
    response->len = 0;
  }
  fr_stream *s = start_call(c, path, req, req_len, opt, true, status);
  if (!s) return status->code;
  wait_call(s, false, 0);
  if (s->final.code == FR_OK && s->head) {
    fr_msg *m = s->head;
    if (response) {
      response->data = m->data;
      response->len = m->len;
      m->data = NULL;
    }
  }
  status_move(status, &s->final);
  unlink_stream(s);
  free_stream(s);
  return status->code;
}

int fr_call_message(fr_conn *c, const char *path, const ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *response_type, const fr_call_options *opt,
                    ProtobufCMessage **response, fr_status *status) {
  if (response) *response = NULL;
  if (!status) return FR_INVALID_ARGUMENT;
  if (!request || !response_type || !response) {
    status_set(status, FR_INVALID_ARGUMENT, true, "fr_call_message: request, response_type and response are required");
    return status->code;
  }
  uint8_t *buf;
  size_t len;
  if (pack_message(request, &buf, &len) != 0) {
    status_set(status, FR_RESOURCE_EXHAUSTED, true, "out of memory");
    return status->code;
  }
  fr_bytes out = {NULL, 0};
  int code = fr_call(c, path, buf, len, opt, &out, status);
  free(buf);
  if (code != FR_OK) return code;
  *response = protobuf_c_message_unpack(response_type, NULL, out.len, out.data);
  if (!*response) {
    status_set(status, FR_INTERNAL, true, "the response (%zu bytes) does not decode as %s", out.len, response_type->name);
    code = FR_INTERNAL;
  }
  fr_bytes_free(&out);
  return code;
}

fr_stream *fr_stream_open(fr_conn *c, const char *path, const void *req, size_t req_len, const fr_call_options *opt,
                          fr_status *status) {
  if (!status) return NULL;
  fr_stream *s = start_call(c, path, req, req_len, opt, false, status);
  if (s) status_set(status, FR_OK, true, "");
  return s;
}

fr_stream *fr_stream_open_message(fr_conn *c, const char *path, const ProtobufCMessage *request,
                                  const fr_call_options *opt, fr_status *status) {
  if (!status) return NULL;
  if (!request) {
    status_set(status, FR_INVALID_ARGUMENT, true, "fr_stream_open_message: a request is required");
    return NULL;
  }
  uint8_t *buf;
  size_t len;
  if (pack_message(request, &buf, &len) != 0) {
    status_set(status, FR_RESOURCE_EXHAUSTED, true, "out of memory");
    return NULL;
  }
  fr_stream *s = fr_stream_open(c, path, buf, len, opt, status);
  free(buf);
  return s;
}

int fr_stream_next(fr_stream *s, int64_t wait_ms, fr_bytes *message, fr_status *status) {
  if (!status) return FR_STREAM_END;
  if (message) {
    message->data = NULL;
    message->len = 0;
  }
  if (!s) {
    status_set(status, FR_INVALID_ARGUMENT, true, "no stream");
    return FR_STREAM_END;
  }
  if (!s->head && !s->done) {
    if (wait_ms == 0) {
      if (s->conn) pump_ready(s->conn); /* only what has already arrived */
      if (!s->head && !s->done && s->deadline_ns > 0 && now_ns() >= s->deadline_ns)
        call_cancel(s, FR_DEADLINE_EXCEEDED, "deadline exceeded (the client gave up waiting)");
    } else {
      wait_call(s, true, wait_ms > 0 ? deadline_after_ms(wait_ms) : 0);
    }
  }
  if (s->head) {
    fr_msg *m = s->head;
    s->head = m->next;
    if (!s->head) s->tail = NULL;
    s->queued_bytes -= m->len;
    if (s->conn) s->conn->queued_bytes -= m->len;
    if (message) {
      message->data = m->data;
      message->len = m->len;
    } else {
      free(m->data);
    }
    free(m);
    return FR_STREAM_MESSAGE;
  }
  if (s->done) {
    status_copy(status, &s->final);
    s->end_returned = true;
    return FR_STREAM_END;
  }
  return FR_STREAM_TIMEOUT;
}

int fr_stream_next_message(fr_stream *s, int64_t wait_ms, const ProtobufCMessageDescriptor *type,
                           ProtobufCMessage **message, fr_status *status) {
  if (message) *message = NULL;
  if (!status) return FR_STREAM_END;
  if (!type || !message) {
    status_set(status, FR_INVALID_ARGUMENT, true, "fr_stream_next_message: a type and a message pointer are required");
    return FR_STREAM_END;
  }
  fr_bytes raw;
  int r = fr_stream_next(s, wait_ms, &raw, status);
  if (r != FR_STREAM_MESSAGE) return r;
  *message = protobuf_c_message_unpack(type, NULL, raw.len, raw.data);
  size_t len = raw.len;
  fr_bytes_free(&raw);
  if (!*message) {
    char why[200];
    snprintf(why, sizeof why, "a stream message (%zu bytes) does not decode as %s", len, type->name);
    free_queue(s);
    if (!s->done) {
      call_cancel(s, FR_INTERNAL, why);
    } else {
      status_set(&s->final, FR_INTERNAL, true, "%s", why);
    }
    status_copy(status, &s->final);
    return FR_STREAM_END;
  }
  return FR_STREAM_MESSAGE;
}

void fr_stream_cancel(fr_stream *s) {
  if (!s || s->done) return;
  call_cancel(s, FR_CANCELLED, "cancelled by the caller");
}

void fr_stream_close(fr_stream *s) {
  if (!s) return;
  fr_stream_cancel(s);
  unlink_stream(s);
  free_stream(s);
}
