/*
 * Tests of the C client.
 *
 *   test_client offline      PROTOCOL.md's example frames, header checks, and a scripted fake
 *                            server (a thread on a loopback port) sending malformed and
 *                            unusual bytes: every case must end with a clear status, never a
 *                            crash, a hang or a leak.
 *   test_client e2e PORT     against the real fieldreport-server --demo on 127.0.0.1:PORT; the
 *                            demo password comes from FIELDREPORT_DEMO_PASSWORD. With
 *                            FIELDREPORT_SERVER_PID set, the last test sends the server SIGTERM
 *                            and checks the GOAWAY/drain handling (start the server with a short
 *                            --drain-seconds).
 *   test_client idle PORT    against a server started with --idle-timeout-seconds 1: GOAWAY
 *                            IDLE_TIMEOUT on an idle connection, the next call refused
 *                            not_processed, a new connection works.
 * Exits 0 when every check passed.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fieldreport_client.h"
#include "fieldreport/v1/case.pb-c.h"
#include "fieldreport/v1/identity.pb-c.h"
#include "fieldreport/v1/journal.pb-c.h"
#include "rpc/v1/health.pb-c.h"

static int failures = 0, checks = 0;
#define CHECK(cond, ...)                                            \
  do {                                                              \
    checks++;                                                       \
    if (!(cond)) {                                                  \
      failures++;                                                   \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                 \
      fprintf(stderr, "\n");                                        \
    }                                                               \
  } while (0)

static size_t hex(const char *text, uint8_t *out) {
  size_t n = 0;
  for (const char *p = text; *p;) {
    if (*p == ' ' || *p == '\n') {
      p++;
      continue;
    }
    unsigned v;
    sscanf(p, "%2x", &v);
    out[n++] = (uint8_t)v;
    p += 2;
  }
  return n;
}

/* ------------------------------------------------------------------ PROTOCOL.md §6 vectors */

static void test_vectors(void) {
  uint8_t want[256], *got;
  size_t n, len;

  /* client preface: fixed part, and the settings of the example encode to its bytes */
  n = hex("89 52 50 43 0d 0a 1a 0a 00 01 00 01 00 00 00 09 08 80 80 80 02 18 80 80 01", want);
  len = fr_encode_client_preface(&got);
  CHECK(len >= 16 && memcmp(got, want, 12) == 0, "client preface fixed part");
  Rpc__V1__Settings *mine = rpc__v1__settings__unpack(NULL, len - 16, got + 16);
  CHECK(mine && mine->max_frame_size == FR_CLIENT_MAX_FRAME_SIZE &&
            mine->max_metadata_size == FR_CLIENT_MAX_METADATA_SIZE && mine->max_concurrent_calls == 0,
        "client settings decode");
  if (mine) rpc__v1__settings__free_unpacked(mine, NULL);
  free(got);
  Rpc__V1__Settings s = RPC__V1__SETTINGS__INIT;
  s.max_frame_size = 4194304;
  s.max_metadata_size = 16384;
  uint8_t sb[32];
  size_t sl = rpc__v1__settings__pack(&s, sb);
  CHECK(sl == 9 && memcmp(sb, want + 16, 9) == 0, "example settings bytes");

  /* server preface decodes to the documented limits */
  n = hex("89 52 50 43 0d 0a 1a 0a 00 01 00 00 00 00 00 0c 08 80 80 80 02 10 80 08 18 80 80 01", want);
  Rpc__V1__Settings *server = rpc__v1__settings__unpack(NULL, n - 16, want + 16);
  CHECK(server && server->max_frame_size == 4194304 && server->max_concurrent_calls == 1024 &&
            server->max_metadata_size == 16384,
        "server preface settings");
  if (server) rpc__v1__settings__free_unpacked(server, NULL);

  /* HEADERS, call 1 */
  n = hex("01 01 00 00 00 00 00 01 00 00 00 37 0a 14 2f 72 70 63 2e 76 31 2e 48 65 61 6c 74 68 2f 43 68 65"
          "63 6b 10 c0 84 3d 1a 1b 0a 0d 61 75 74 68 6f 72 69 7a 61 74 69 6f 6e 12 0a 42 65 61 72 65 72 20"
          "74 30 6b",
          want);
  fr_metadata md = {"authorization", "Bearer t0k", NULL, 0};
  len = fr_encode_headers_frame(&got, 1, "/rpc.v1.Health/Check", 1000000, &md, 1);
  CHECK(len == n && memcmp(got, want, n) == 0, "HEADERS call 1 bytes (%zu vs %zu)", len, n);
  free(got);
  /* a due deadline is still encoded (10 00) */
  len = fr_encode_headers_frame(&got, 2, "/a.B/C", 0, NULL, 0);
  CHECK(len == 12 + 8 + 2 && got[len - 2] == 0x10 && got[len - 1] == 0x00, "timeout_us 0 is on the wire");
  free(got);
  len = fr_encode_headers_frame(&got, 2, "/a.B/C", -1, NULL, 0);
  CHECK(len == 12 + 8, "no deadline: no timeout field");
  free(got);

  /* frame headers: MESSAGE request, STATUS OK, CANCEL, PING */
  uint8_t h[12];
  n = hex("01 02 01 00 00 00 00 01 00 00 00 0f", want);
  fr_encode_frame_header(h, FR_FRAME_MESSAGE, FR_FLAG_END_STREAM, 1, 15);
  CHECK(memcmp(h, want, 12) == 0, "MESSAGE header");
  n = hex("01 03 00 00 00 00 00 01 00 00 00 00", want);
  fr_encode_frame_header(h, FR_FRAME_STATUS, 0, 1, 0);
  CHECK(memcmp(h, want, 12) == 0, "STATUS OK");
  n = hex("01 04 00 00 00 00 00 05 00 00 00 00", want);
  fr_encode_frame_header(h, FR_FRAME_CANCEL, 0, 5, 0);
  CHECK(memcmp(h, want, 12) == 0, "CANCEL call 5");
  n = hex("01 05 00 00 00 00 00 00 00 00 00 08", want);
  fr_encode_frame_header(h, FR_FRAME_PING, 0, 0, 8);
  CHECK(memcmp(h, want, 12) == 0, "PING");

  /* STATUS INVALID_ARGUMENT with a field violation, call 3 */
  n = hex("01 03 00 00 00 00 00 03 00 00 00 2b 08 03 12 13 54 69 c3 aa 75 20 c4 91 e1 bb 81 20 74 72 e1 bb"
          "91 6e 67 1a 12 0a 10 0a 0e 0a 05 74 69 74 6c 65 12 05 65 6d 70 74 79",
          want);
  fr_frame_header fh;
  char why[100];
  CHECK(fr_decode_frame_header(want, &fh, why, sizeof why) == 0 && fh.type == FR_FRAME_STATUS && fh.call_id == 3 &&
            fh.length == n - 12,
        "STATUS header decodes");
  fr_status st = FR_STATUS_INIT;
  st.proto = rpc__v1__status__unpack(NULL, n - 12, want + 12);
  CHECK(st.proto && st.proto->code == 3 && strcmp(st.proto->message, "Tiêu đề trống") == 0, "STATUS payload");
  const Rpc__V1__FieldViolation *fv = fr_status_field_violation(&st, 0);
  CHECK(fv && strcmp(fv->field, "title") == 0 && strcmp(fv->explanation, "empty") == 0, "field violation");
  CHECK(fr_status_field_violation(&st, 1) == NULL, "one violation");
  CHECK(fr_status_retry_delay_ms(&st) == -1, "no retry info");
  fr_status_clear(&st);

  /* GOAWAY, last call 7 */
  n = hex("01 06 00 00 00 00 00 00 00 00 00 0c 08 07 1a 08 64 72 61 69 6e 69 6e 67", want);
  Rpc__V1__GoAway *g = rpc__v1__go_away__unpack(NULL, n - 12, want + 12);
  CHECK(g && g->last_call_id == 7 && g->code == 0 && strcmp(g->reason, "draining") == 0, "GOAWAY payload");
  if (g) rpc__v1__go_away__free_unpacked(g, NULL);

  /* header checks */
  n = hex("02 02 00 00 00 00 00 01 00 00 00 00", want);
  CHECK(fr_decode_frame_header(want, &fh, why, sizeof why) == -1 && strstr(why, "version"), "version 2 refused");
  n = hex("01 02 00 07 00 00 00 01 00 00 00 00", want);
  CHECK(fr_decode_frame_header(want, &fh, why, sizeof why) == -1 && strstr(why, "reserved"), "reserved refused");

  /* metadata keys */
  CHECK(fr_metadata_key_valid("authorization"), "lowercase key");
  CHECK(fr_metadata_key_valid("x-trace_id.v2"), "key with - _ .");
  CHECK(!fr_metadata_key_valid("Authorization"), "uppercase key refused");
  CHECK(!fr_metadata_key_valid(""), "empty key refused");
  CHECK(!fr_metadata_key_valid("a b"), "space refused");
  char longkey[300];
  memset(longkey, 'k', 257);
  longkey[257] = 0;
  CHECK(!fr_metadata_key_valid(longkey), "257-byte key refused");
  longkey[256] = 0;
  CHECK(fr_metadata_key_valid(longkey), "256-byte key accepted");
  CHECK(strcmp(fr_code_name(5), "NOT_FOUND") == 0 && strcmp(fr_code_name(99), "UNKNOWN") == 0, "code names");
}

/* ------------------------------------------------------------------ a scripted fake server */

typedef struct script {
  const uint8_t *preface; /* NULL: a valid default preface */
  size_t preface_len;
  bool no_preface;        /* close right after reading the client's preface */
  bool wait_call;         /* read call 1's HEADERS + MESSAGE before answering */
  int wait_messages;      /* with wait_call: how many MESSAGE frames to read first (0: 1) */
  const uint8_t *answer;  /* bytes sent then */
  size_t answer_len;
  bool trickle;           /* send the answer one byte at a time */
  bool close_after;       /* close after the answer (else wait for the client to close) */
  /* filled by the server thread */
  int listen_fd;
  int port;
  uint8_t received[65536];
  size_t received_len;
} script;

static int recv_exact(int fd, uint8_t *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = recv(fd, buf + got, len - got, 0);
    if (n <= 0) return -1;
    got += (size_t)n;
  }
  return 0;
}

static void *fake_server(void *arg) {
  script *sc = arg;
  int fd = accept(sc->listen_fd, NULL, NULL);
  if (fd < 0) return NULL;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  uint8_t fixed[16], buf[4096];
  if (recv_exact(fd, fixed, 16) != 0) goto out;
  uint32_t n = ((uint32_t)fixed[12] << 24) | ((uint32_t)fixed[13] << 16) | ((uint32_t)fixed[14] << 8) | fixed[15];
  if (n > sizeof buf || recv_exact(fd, buf, n) != 0) goto out;
  if (sc->no_preface) goto out;
  if (sc->preface) {
    send(fd, sc->preface, sc->preface_len, MSG_NOSIGNAL);
  } else {
    static const uint8_t def[] = {0x89, 0x52, 0x50, 0x43, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                  0x00, 0x0c, 0x08, 0x80, 0x80, 0x80, 0x02, 0x10, 0x80, 0x08, 0x18, 0x80, 0x80, 0x01};
    send(fd, def, sizeof def, MSG_NOSIGNAL);
  }
  if (sc->wait_call) {
    int messages = 0;
    for (;;) { /* frames until call 1's MESSAGE (or wait_messages MESSAGEs) */
      uint8_t h[12];
      if (recv_exact(fd, h, 12) != 0) goto out;
      uint32_t len = ((uint32_t)h[8] << 24) | ((uint32_t)h[9] << 16) | ((uint32_t)h[10] << 8) | h[11];
      if (sc->received_len + 12 + len <= sizeof sc->received) {
        memcpy(sc->received + sc->received_len, h, 12);
        sc->received_len += 12;
      }
      while (len > 0) {
        size_t take = len < sizeof buf ? len : sizeof buf;
        if (recv_exact(fd, buf, take) != 0) goto out;
        if (sc->received_len + take <= sizeof sc->received) {
          memcpy(sc->received + sc->received_len, buf, take);
          sc->received_len += take;
        }
        len -= (uint32_t)take;
      }
      if (h[1] == FR_FRAME_MESSAGE && ++messages >= (sc->wait_messages ? sc->wait_messages : 1)) break;
    }
  }
  if (sc->answer_len) {
    if (sc->trickle) {
      for (size_t i = 0; i < sc->answer_len; i++) {
        send(fd, sc->answer + i, 1, MSG_NOSIGNAL);
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
      }
    } else {
      send(fd, sc->answer, sc->answer_len, MSG_NOSIGNAL);
    }
  }
  if (!sc->close_after) {
    for (;;) { /* everything the client sends until it closes */
      ssize_t r = recv(fd, buf, sizeof buf, 0);
      if (r <= 0) break;
      size_t take = (size_t)r;
      if (sc->received_len + take > sizeof sc->received) take = sizeof sc->received - sc->received_len;
      memcpy(sc->received + sc->received_len, buf, take);
      sc->received_len += take;
    }
  }
out:
  close(fd);
  return NULL;
}

static pthread_t start_fake(script *sc) {
  sc->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (bind(sc->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(sc->listen_fd, 4) != 0) {
    perror("fake server");
    exit(2);
  }
  socklen_t al = sizeof a;
  getsockname(sc->listen_fd, (struct sockaddr *)&a, &al);
  sc->port = ntohs(a.sin_port);
  pthread_t t;
  pthread_create(&t, NULL, fake_server, sc);
  return t;
}

static void stop_fake(script *sc, pthread_t t) {
  pthread_join(t, NULL);
  close(sc->listen_fd);
}

/* Does the client's byte stream (frames after the preface) hold a frame of this type? */
static bool sent_frame(const script *sc, uint8_t type, const uint8_t *payload, size_t plen) {
  size_t i = 0;
  while (i + 12 <= sc->received_len) {
    uint32_t len = ((uint32_t)sc->received[i + 8] << 24) | ((uint32_t)sc->received[i + 9] << 16) |
                   ((uint32_t)sc->received[i + 10] << 8) | sc->received[i + 11];
    if (sc->received[i + 1] == type && (!payload || (len == plen && i + 12 + len <= sc->received_len &&
                                                     memcmp(sc->received + i + 12, payload, plen) == 0)))
      return true;
    i += 12 + len;
  }
  return false;
}

/* Connects to a fake server running `sc` and makes one unary call; returns its status code. */
static int run_call(script *sc, int64_t timeout_ms, fr_status *st, bool *usable_after) {
  pthread_t t = start_fake(sc);
  int code;
  fr_conn *c = fr_connect("127.0.0.1", sc->port, 10000, st);
  if (!c) {
    code = -1 - st->code; /* connect failure: negative */
  } else {
    fr_bytes resp = {NULL, 0};
    fr_call_options opt = {timeout_ms, NULL, 0};
    code = fr_call(c, "/rpc.v1.Health/Check", "", 0, &opt, &resp, st);
    fr_bytes_free(&resp);
    if (usable_after) *usable_after = fr_conn_usable(c);
    fr_close(c);
  }
  stop_fake(sc, t);
  return code;
}

static uint8_t scratch[70000];

/* Builds frames into `scratch`: returns the total length. */
static size_t frame(size_t at, uint8_t type, uint8_t flags, uint32_t id, const uint8_t *payload, uint32_t len) {
  fr_encode_frame_header(scratch + at, type, flags, id, len);
  if (payload && len) memcpy(scratch + at + 12, payload, len);
  return at + 12 + (payload ? len : 0);
}

static void test_fake_server(void) {
  fr_status st = FR_STATUS_INIT;
  uint8_t pre[64];
  size_t n;

  /* preface problems */
  {
    script sc = {0};
    n = hex("89 52 50 43 0d 0a 1a 0b 00 01 00 00 00 00 00 00", pre);
    sc.preface = pre, sc.preface_len = n;
    CHECK(run_call(&sc, 0, &st, NULL) == -1 - FR_INTERNAL && strstr(st.message, "magic"), "bad magic: %s", st.message);
  }
  {
    script sc = {0};
    n = hex("89 52 50 43 0d 0a 1a 0a 00 00 00 00 00 00 00 00", pre);
    sc.preface = pre, sc.preface_len = n, sc.close_after = true;
    CHECK(run_call(&sc, 0, &st, NULL) == -1 - FR_UNAVAILABLE && strstr(st.message, "version"), "version 0: %s",
          st.message);
  }
  {
    script sc = {0};
    n = hex("89 52 50 43 0d 0a 1a 0a 00 01 00 00 00 00 13 88", pre);
    sc.preface = pre, sc.preface_len = n;
    CHECK(run_call(&sc, 0, &st, NULL) == -1 - FR_INTERNAL && strstr(st.message, "settings"), "settings 5000: %s",
          st.message);
  }
  {
    script sc = {0};
    n = hex("89 52 50 43 0d 0a 1a 0a 00 01 00 00 00 00 00 02 ff ff", pre);
    sc.preface = pre, sc.preface_len = n;
    CHECK(run_call(&sc, 0, &st, NULL) == -1 - FR_INTERNAL && strstr(st.message, "decode"), "bad settings: %s",
          st.message);
  }
  {
    script sc = {0};
    n = hex("89 52 50 43 0d 0a 1a 0a 00 01 00 00 00 00 00 02 08 64", pre); /* max_frame_size 100 */
    sc.preface = pre, sc.preface_len = n;
    CHECK(run_call(&sc, 0, &st, NULL) == -1 - FR_INTERNAL && strstr(st.message, "1024"), "tiny limit: %s",
          st.message);
  }
  {
    script sc = {0};
    sc.no_preface = true;
    CHECK(run_call(&sc, 0, &st, NULL) == -1 - FR_UNAVAILABLE && strstr(st.message, "back off"), "no preface: %s",
          st.message);
  }
  {
    script sc = {0};
    n = hex("89 52 50 43 0d 0a 1a 0a 00 01 00 00 00 00", pre); /* cut short */
    sc.preface = pre, sc.preface_len = n, sc.close_after = true;
    CHECK(run_call(&sc, 0, &st, NULL) == -1 - FR_UNAVAILABLE, "short preface: %s", st.message);
  }

  uint8_t ok_msg[2] = {0x08, 0x01};
  uint8_t ping8[8] = {0, 0, 0, 0, 0, 0, 0, 42};

  /* a good answer, delivered one byte at a time, after a server PING that must be answered */
  {
    script sc = {0};
    size_t at = frame(0, FR_FRAME_PING, 0, 0, ping8, 8);
    at = frame(at, FR_FRAME_MESSAGE, 0, 1, ok_msg, 2);
    at = frame(at, FR_FRAME_STATUS, 0, 1, NULL, 0);
    sc.answer = scratch, sc.answer_len = at, sc.wait_call = true, sc.trickle = true;
    bool usable = false;
    CHECK(run_call(&sc, 10000, &st, &usable) == FR_OK && usable, "trickled answer: %s", st.message);
    CHECK(sent_frame(&sc, FR_FRAME_PING, ping8, 8), "PING answered with the same 8 bytes");
    CHECK(sent_frame(&sc, FR_FRAME_GOAWAY, NULL, 0), "a GOAWAY on close");
  }

  struct {
    const char *name;
    uint8_t bytes[16];
    size_t len;
    int code;
    const char *text;
  } bad_frames[] = {
      {"version 2", {2, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, 12, FR_INTERNAL, "version"},
      {"reserved byte", {1, 2, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0}, 12, FR_INTERNAL, "reserved"},
      {"unknown type", {1, 0x7e, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, 12, FR_INTERNAL, "unknown frame type"},
      {"HEADERS from a server", {1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, 12, FR_INTERNAL, "HEADERS"},
      {"CANCEL from a server", {1, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, 12, FR_INTERNAL, "CANCEL"},
      {"PING of 4 bytes", {1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4}, 16, FR_INTERNAL, "PING"},
      {"STATUS for a call never opened", {1, 3, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0}, 12, FR_INTERNAL, "never opened"},
      {"MESSAGE of 4 GiB", {1, 2, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}, 12, FR_RESOURCE_EXHAUSTED, "limit"},
      {"STATUS of 1 MiB", {1, 3, 0, 0, 0, 0, 0, 1, 0, 0x10, 0, 0}, 12, FR_RESOURCE_EXHAUSTED, "limit"},
      {"GOAWAY of 1 MiB", {1, 6, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0}, 12, FR_INTERNAL, "GOAWAY"},
      {"undecodable STATUS", {1, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0xff, 0xff, 0xff}, 15, FR_INTERNAL, "decode"},
      {"undecodable GOAWAY", {1, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x0a, 0x05}, 14, FR_INTERNAL, "GOAWAY"},
      {"frame cut by close", {1, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 100, 1, 2, 3}, 15, FR_INTERNAL, "middle of a frame"},
      {"header cut by close", {1, 2, 0, 0, 0}, 5, FR_INTERNAL, "middle of a frame"},
      {"close without STATUS", {0}, 0, FR_UNAVAILABLE, "closed"},
      {"STATUS OK without a response", {1, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, 12, FR_INTERNAL, "without a response"},
      {"unknown status code 99", {1, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0x08, 99}, 14, FR_UNKNOWN, ""},
  };
  for (size_t i = 0; i < sizeof bad_frames / sizeof bad_frames[0]; i++) {
    script sc = {0};
    memcpy(scratch, bad_frames[i].bytes, bad_frames[i].len);
    sc.answer = scratch, sc.answer_len = bad_frames[i].len, sc.wait_call = true, sc.close_after = true;
    int code = run_call(&sc, 10000, &st, NULL);
    CHECK(code == bad_frames[i].code && strstr(st.message, bad_frames[i].text), "%s: got %s: %s", bad_frames[i].name,
          fr_code_name(code), st.message);
  }
  /* protocol errors are answered with GOAWAY; over-limit MESSAGE with CANCEL; undecodable STATUS keeps the
   * connection */
  {
    script sc = {0};
    size_t at = frame(0, 0x7e, 0, 1, NULL, 0);
    sc.answer = scratch, sc.answer_len = at, sc.wait_call = true;
    bool usable = true;
    CHECK(run_call(&sc, 10000, &st, &usable) == FR_INTERNAL && !usable, "unknown type kills the connection");
    CHECK(sent_frame(&sc, FR_FRAME_GOAWAY, NULL, 0), "GOAWAY sent on a protocol error");
  }
  {
    script sc = {0};
    memcpy(scratch, bad_frames[7].bytes, 12);
    sc.answer = scratch, sc.answer_len = 12, sc.wait_call = true;
    bool usable = false;
    CHECK(run_call(&sc, 10000, &st, &usable) == FR_RESOURCE_EXHAUSTED && usable, "oversized MESSAGE: %s", st.message);
    CHECK(sent_frame(&sc, FR_FRAME_CANCEL, NULL, 0), "CANCEL for an oversized MESSAGE");
  }
  {
    script sc = {0};
    memcpy(scratch, bad_frames[10].bytes, 15);
    sc.answer = scratch, sc.answer_len = 15, sc.wait_call = true;
    bool usable = false;
    CHECK(run_call(&sc, 10000, &st, &usable) == FR_INTERNAL && usable, "undecodable STATUS keeps the connection");
  }
  /* two responses on a unary call */
  {
    script sc = {0};
    size_t at = frame(0, FR_FRAME_MESSAGE, 0, 1, ok_msg, 2);
    at = frame(at, FR_FRAME_MESSAGE, 0, 1, ok_msg, 2);
    at = frame(at, FR_FRAME_STATUS, 0, 1, NULL, 0);
    sc.answer = scratch, sc.answer_len = at, sc.wait_call = true;
    CHECK(run_call(&sc, 10000, &st, NULL) == FR_INTERNAL && strstr(st.message, "second"), "two responses: %s",
          st.message);
  }
  /* an error STATUS with details */
  {
    script sc = {0};
    uint8_t status[128];
    size_t sn = hex("08 03 12 13 54 69 c3 aa 75 20 c4 91 e1 bb 81 20 74 72 e1 bb 91 6e 67 1a 12 0a 10 0a 0e 0a 05 74 69 "
                    "74 6c 65 12 05 65 6d 70 74 79 1a 04 1a 02 08 64 22 08 0a 01 6b 12 03 76 61 6c",
                    status);
    size_t at = frame(0, FR_FRAME_STATUS, 0, 1, status, (uint32_t)sn);
    sc.answer = scratch, sc.answer_len = at, sc.wait_call = true;
    CHECK(run_call(&sc, 10000, &st, NULL) == FR_INVALID_ARGUMENT && !st.local, "error status");
    const Rpc__V1__FieldViolation *fv = fr_status_field_violation(&st, 0);
    CHECK(fv && strcmp(fv->field, "title") == 0, "its field violation");
    CHECK(fr_status_retry_delay_ms(&st) == 100, "its retry info: %lld", (long long)fr_status_retry_delay_ms(&st));
    const Rpc__V1__MetadataEntry *tr = fr_status_trailer(&st, "k");
    CHECK(tr && tr->value_case == RPC__V1__METADATA_ENTRY__VALUE_TEXT && strcmp(tr->text, "val") == 0, "its trailer");
  }
  /* GOAWAY with last_call_id 0 (the call was not processed), then a new call fails locally */
  {
    script sc = {0};
    uint8_t ga[] = {0x08, 0x00, 0x1a, 0x08, 'd', 'r', 'a', 'i', 'n', 'i', 'n', 'g'};
    size_t at = frame(0, FR_FRAME_GOAWAY, 0, 0, ga, sizeof ga);
    sc.answer = scratch, sc.answer_len = at, sc.wait_call = true;
    pthread_t t = start_fake(&sc);
    fr_conn *c = fr_connect("127.0.0.1", sc.port, 10000, &st);
    CHECK(c != NULL, "connect: %s", st.message);
    if (c) {
      fr_bytes resp;
      fr_call_options opt = {10000, NULL, 0};
      int code = fr_call(c, "/rpc.v1.Health/Check", "", 0, &opt, &resp, &st);
      CHECK(code == FR_UNAVAILABLE && st.not_processed, "GOAWAY above the call: %s", st.message);
      CHECK(fr_conn_goaway(c) && fr_conn_goaway(c)->last_call_id == 0 && !fr_conn_usable(c), "GOAWAY recorded");
      code = fr_call(c, "/rpc.v1.Health/Check", "", 0, &opt, &resp, &st);
      CHECK(code == FR_UNAVAILABLE && st.not_processed && st.local, "new call after GOAWAY: %s", st.message);
      fr_close(c);
    }
    stop_fake(&sc, t);
  }
  /* an idle server's GOAWAY (IDLE_TIMEOUT, last call 0) right after the preface: the first call is refused
   * not_processed, whether it was sent before the GOAWAY arrived or not */
  {
    script sc = {0};
    uint8_t ga[] = {0x08, 0x00, 0x10, 0x04};
    size_t at = frame(0, FR_FRAME_GOAWAY, 0, 0, ga, sizeof ga);
    sc.answer = scratch, sc.answer_len = at;
    bool usable = true;
    CHECK(run_call(&sc, 10000, &st, &usable) == FR_UNAVAILABLE && st.not_processed && !usable, "idle GOAWAY: %s",
          st.message);
  }
  /* two streams; the first is cancelled, and its late frames are ignored while the second completes */
  {
    script sc = {0};
    uint8_t err[] = {0x08, 0x05, 0x12, 0x01, 'x'};
    size_t at = frame(0, FR_FRAME_MESSAGE, 0, 1, ok_msg, 2);
    at = frame(at, FR_FRAME_STATUS, 0, 1, err, sizeof err);
    at = frame(at, FR_FRAME_MESSAGE, 0, 2, ok_msg, 2);
    at = frame(at, FR_FRAME_STATUS, 0, 2, NULL, 0);
    sc.answer = scratch, sc.answer_len = at, sc.wait_call = true, sc.wait_messages = 2;
    pthread_t t = start_fake(&sc);
    fr_conn *c = fr_connect("127.0.0.1", sc.port, 10000, &st);
    CHECK(c != NULL, "connect: %s", st.message);
    if (c) {
      fr_call_options opt = {10000, NULL, 0};
      fr_stream *s1 = fr_stream_open(c, "/rpc.v1.Health/Watch", "", 0, &opt, &st);
      fr_stream *s2 = fr_stream_open(c, "/rpc.v1.Health/Watch", "", 0, &opt, &st);
      fr_stream_cancel(s1);
      fr_bytes m;
      CHECK(fr_stream_next(s2, 10000, &m, &st) == FR_STREAM_MESSAGE && m.len == 2, "second stream's message");
      fr_bytes_free(&m);
      CHECK(fr_stream_next(s2, 10000, &m, &st) == FR_STREAM_END && st.code == FR_OK && !st.local,
            "second stream ends OK: %s", st.message);
      CHECK(fr_stream_next(s1, 10000, &m, &st) == FR_STREAM_END && st.code == FR_CANCELLED && st.local,
            "cancelled stream ignores its late frames: %s %s", fr_code_name(st.code), st.message);
      CHECK(fr_conn_usable(c), "connection still usable");
      fr_stream_close(s1);
      fr_stream_close(s2);
      fr_close(c);
    }
    stop_fake(&sc, t);
    CHECK(sent_frame(&sc, FR_FRAME_CANCEL, NULL, 0), "CANCEL sent for the cancelled stream");
  }
  /* a silent server: the client's deadline, CANCEL sent */
  {
    script sc = {0};
    sc.wait_call = true;
    CHECK(run_call(&sc, 300, &st, NULL) == FR_DEADLINE_EXCEEDED && st.local, "deadline: %s", st.message);
    CHECK(sent_frame(&sc, FR_FRAME_CANCEL, NULL, 0), "CANCEL at the deadline");
  }
  /* a stream: messages, a read timeout, then the end */
  {
    script sc = {0};
    size_t at = frame(0, FR_FRAME_MESSAGE, 0, 1, ok_msg, 2);
    at = frame(at, FR_FRAME_MESSAGE, 0, 1, ok_msg, 2);
    sc.answer = scratch, sc.answer_len = at, sc.wait_call = true;
    pthread_t t = start_fake(&sc);
    fr_conn *c = fr_connect("127.0.0.1", sc.port, 10000, &st);
    if (c) {
      fr_stream *s = fr_stream_open(c, "/rpc.v1.Health/Watch", "", 0, NULL, &st);
      fr_bytes m;
      CHECK(s && fr_stream_next(s, 10000, &m, &st) == FR_STREAM_MESSAGE && m.len == 2, "stream message 1");
      fr_bytes_free(&m);
      CHECK(fr_stream_next(s, 10000, &m, &st) == FR_STREAM_MESSAGE, "stream message 2");
      fr_bytes_free(&m);
      CHECK(fr_stream_next(s, 100, &m, &st) == FR_STREAM_TIMEOUT, "stream read timeout");
      fr_stream_cancel(s);
      CHECK(fr_stream_next(s, 100, &m, &st) == FR_STREAM_END && st.code == FR_CANCELLED, "cancelled stream ends");
      CHECK(fr_stream_next(s, 100, &m, &st) == FR_STREAM_END && st.code == FR_CANCELLED, "and stays ended");
      fr_stream_close(s);
      fr_close(c);
    }
    stop_fake(&sc, t);
  }
  /* random garbage after a valid preface: any status, never a crash or a hang */
  {
    unsigned seed = getenv("FR_RANDOM_SEED") ? (unsigned)atoi(getenv("FR_RANDOM_SEED")) : 12345;
    int rounds = getenv("FR_RANDOM_ROUNDS") ? atoi(getenv("FR_RANDOM_ROUNDS")) : 60;
    int ended = 0;
    for (int round = 0; round < rounds; round++) {
      script sc = {0};
      size_t len = 1 + (size_t)(rand_r(&seed) % (round % 3 == 0 ? 600 : 64));
      for (size_t i = 0; i < len; i++) scratch[i] = (uint8_t)rand_r(&seed);
      if (round % 2 == 0) { /* a plausible header, random rest */
        scratch[0] = 1;
        scratch[3] = 0;
        scratch[4] = scratch[5] = scratch[6] = 0;
        scratch[7] = 1;
        if (round % 4 == 0) { /* a small length and a known type: the payload gets decoded */
          scratch[1] = (uint8_t)(1 + rand_r(&seed) % 6);
          scratch[8] = scratch[9] = 0;
          scratch[10] = 0;
          scratch[11] = (uint8_t)(len > 12 ? rand_r(&seed) % (len - 11) : 0);
        }
      }
      sc.answer = scratch, sc.answer_len = len, sc.wait_call = true, sc.close_after = true;
      int code = run_call(&sc, 5000, &st, NULL);
      if (code >= 0 && code <= 16 && st.message) ended++;
    }
    CHECK(ended == rounds, "random answers end with a status (%d of %d)", ended, rounds);
  }
  fr_status_clear(&st);
}

/* ------------------------------------------------------------------ against the real server */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_e2e(int port, const char *password) {
  fr_status st = FR_STATUS_INIT;
  ProtobufCMessage *out = NULL;
  fr_conn *c = fr_connect("127.0.0.1", port, 30000, &st);
  CHECK(c != NULL, "connect: %s", st.message);
  if (!c) return;
  const Rpc__V1__Settings *set = fr_server_settings(c);
  CHECK(set->max_frame_size >= 1024 && set->max_concurrent_calls > 0, "server settings");
  printf("server settings: max_frame_size %u, max_concurrent_calls %u, max_metadata_size %u, keepalive %u ms, "
         "idle timeout %u ms, \"%s\"\n",
         set->max_frame_size, set->max_concurrent_calls, set->max_metadata_size, set->keepalive_interval_ms,
         set->idle_timeout_ms, set->implementation);

  /* health */
  Rpc__V1__HealthCheckRequest hreq = RPC__V1__HEALTH_CHECK_REQUEST__INIT;
  fr_call_options opt = {30000, NULL, 0};
  CHECK(fr_call_message(c, "/rpc.v1.Health/Check", &hreq.base, &rpc__v1__health_check_response__descriptor, &opt, &out,
                        &st) == FR_OK &&
            ((Rpc__V1__HealthCheckResponse *)out)->status == RPC__V1__SERVING_STATUS__SERVING_STATUS_SERVING,
        "health: %s", st.message);
  if (out) protobuf_c_message_free_unpacked(out, NULL), out = NULL;
  hreq.service = (char *)"no.such.Service";
  CHECK(fr_call_message(c, "/rpc.v1.Health/Check", &hreq.base, &rpc__v1__health_check_response__descriptor, &opt, &out,
                        &st) == FR_NOT_FOUND && !st.local,
        "unknown health service: %s", st.message);
  CHECK(fr_ping(c, 30000, &st) >= 0, "ping: %s", st.message);

  /* unknown method and service */
  CHECK(fr_call(c, "/fieldreport.v1.CaseService/NoSuchMethod", "", 0, &opt, NULL, &st) == FR_UNIMPLEMENTED,
        "unknown method: %s", st.message);
  CHECK(fr_call(c, "/no.Such/Method", "", 0, &opt, NULL, &st) == FR_UNIMPLEMENTED, "unknown service: %s", st.message);

  /* login: wrong password, then right */
  Fieldreport__V1__LoginRequest login = FIELDREPORT__V1__LOGIN_REQUEST__INIT;
  login.username = (char *)"quan.tm";
  login.password = (char *)"wrong-password";
  CHECK(fr_call_message(c, "/fieldreport.v1.IdentityService/Login", &login.base,
                        &fieldreport__v1__login_response__descriptor, &opt, &out, &st) == FR_UNAUTHENTICATED &&
            !st.local,
        "wrong password: %s", st.message);
  login.password = (char *)password;
  char bearer[600] = "Bearer ?";
  if (fr_call_message(c, "/fieldreport.v1.IdentityService/Login", &login.base,
                      &fieldreport__v1__login_response__descriptor, &opt, &out, &st) == FR_OK) {
    snprintf(bearer, sizeof bearer, "Bearer %s", ((Fieldreport__V1__LoginResponse *)out)->session_token);
    protobuf_c_message_free_unpacked(out, NULL), out = NULL;
  } else {
    CHECK(false, "login: %s", st.message);
  }
  fr_metadata md[1] = {{"authorization", bearer, NULL, 0}};
  fr_call_options auth = {30000, md, 1};

  /* no credentials; a bad key (refused locally); an empty request */
  CHECK(fr_call(c, "/fieldreport.v1.CaseService/ListCategories", "", 0, &opt, NULL, &st) == FR_UNAUTHENTICATED,
        "no authorization: %s", st.message);
  fr_metadata badmd[1] = {{"Authorization", bearer, NULL, 0}};
  fr_call_options bad = {30000, badmd, 1};
  CHECK(fr_call(c, "/fieldreport.v1.CaseService/ListCategories", "", 0, &bad, NULL, &st) == FR_INVALID_ARGUMENT &&
            st.local,
        "uppercase key: %s", st.message);
  CHECK(fr_call_message(c, "/fieldreport.v1.CaseService/ListCategories", &(Fieldreport__V1__ListCategoriesRequest)FIELDREPORT__V1__LIST_CATEGORIES_REQUEST__INIT.base,
                        &fieldreport__v1__list_categories_response__descriptor, &auth, &out, &st) == FR_OK &&
            ((Fieldreport__V1__ListCategoriesResponse *)out)->n_categories > 0,
        "ListCategories: %s", st.message);
  if (out) protobuf_c_message_free_unpacked(out, NULL), out = NULL;

  /* a field violation */
  Fieldreport__V1__SubmitReportRequest sub = FIELDREPORT__V1__SUBMIT_REPORT_REQUEST__INIT;
  sub.idempotency_key = (char *)"c-test-empty-title";
  sub.content = (char *)"nội dung";
  sub.category_id = (char *)"MOI-TRUONG";
  Fieldreport__V1__ReporterInfo rep = FIELDREPORT__V1__REPORTER_INFO__INIT;
  rep.full_name = (char *)"Nguyễn Văn Bình";
  rep.phone = (char *)"0912345678";
  sub.reporter = &rep;
  CHECK(fr_call_message(c, "/fieldreport.v1.CaseService/SubmitReport", &sub.base,
                        &fieldreport__v1__submit_report_response__descriptor, &auth, &out, &st) == FR_INVALID_ARGUMENT,
        "empty title: %s", st.message);
  const Rpc__V1__FieldViolation *fv = fr_status_field_violation(&st, 0);
  CHECK(fv && strcmp(fv->field, "title") == 0, "field violation names title (%s)", fv ? fv->field : "none");
  CHECK(st.message && st.message[0], "a message");

  /* NOT_FOUND */
  Fieldreport__V1__GetCaseRequest get = FIELDREPORT__V1__GET_CASE_REQUEST__INIT;
  get.key_case = FIELDREPORT__V1__GET_CASE_REQUEST__KEY_CASE_ID;
  get.case_id = (char *)"no-such-case";
  CHECK(fr_call_message(c, "/fieldreport.v1.CaseService/GetCase", &get.base,
                        &fieldreport__v1__get_case_response__descriptor, &auth, &out, &st) == FR_NOT_FOUND,
        "unknown case: %s", st.message);

  /* limits: over the server's frame size (local), over the method's 1 MiB (server), then still usable */
  size_t big = set->max_frame_size + 1;
  uint8_t *junk = calloc(1, big);
  CHECK(fr_call(c, "/fieldreport.v1.CaseService/GetCase", junk, big, &auth, NULL, &st) == FR_RESOURCE_EXHAUSTED &&
            st.local,
        "over the server's frame size: %s", st.message);
  CHECK(fr_call(c, "/fieldreport.v1.CaseService/GetCase", junk, 2 * 1024 * 1024, &auth, NULL, &st) ==
                FR_RESOURCE_EXHAUSTED &&
            !st.local,
        "over the method's limit: %s", st.message);
  free(junk);
  CHECK(fr_ping(c, 30000, &st) >= 0 && fr_conn_usable(c), "connection still usable: %s", st.message);

  /* deadlines: already due; a stream past its deadline */
  fr_call_options due = {-1, md, 1};
  CHECK(fr_call(c, "/fieldreport.v1.CaseService/ListCategories", "", 0, &due, NULL, &st) == FR_DEADLINE_EXCEEDED,
        "due deadline: %s", st.message);
  Fieldreport__V1__WatchEventsRequest watch = FIELDREPORT__V1__WATCH_EVENTS_REQUEST__INIT;
  watch.start_case = FIELDREPORT__V1__WATCH_EVENTS_REQUEST__START_SINCE_MS;
  watch.since_ms = now_ms();
  watch.heartbeat_interval_ms = 60000;
  fr_call_options short_stream = {3000, md, 1};
  fr_stream *s = fr_stream_open_message(c, "/fieldreport.v1.JournalService/WatchEvents", &watch.base, &short_stream, &st);
  CHECK(s != NULL, "open stream: %s", st.message);
  if (s) {
    fr_bytes m;
    CHECK(fr_stream_next(s, 100, &m, &st) == FR_STREAM_TIMEOUT, "no event yet");
    int r;
    while ((r = fr_stream_next(s, -1, &m, &st)) == FR_STREAM_MESSAGE) fr_bytes_free(&m);
    CHECK(r == FR_STREAM_END && st.code == FR_DEADLINE_EXCEEDED, "stream deadline: %s %s", fr_code_name(st.code),
          st.message);
    fr_stream_close(s);
  }

  /* a stream and unary calls interleaved on one connection */
  watch.since_ms = now_ms() - 1000;
  fr_call_options long_stream = {120000, md, 1};
  s = fr_stream_open_message(c, "/fieldreport.v1.JournalService/WatchEvents", &watch.base, &long_stream, &st);
  char title[64], key[64];
  snprintf(key, sizeof key, "c-test-%lld", (long long)now_ms());
  snprintf(title, sizeof title, "C test %lld", (long long)now_ms());
  sub.idempotency_key = key;
  sub.title = title;
  char case_id[128] = "";
  if (fr_call_message(c, "/fieldreport.v1.CaseService/SubmitReport", &sub.base,
                      &fieldreport__v1__submit_report_response__descriptor, &auth, &out, &st) == FR_OK) {
    snprintf(case_id, sizeof case_id, "%s", ((Fieldreport__V1__SubmitReportResponse *)out)->case_summary->case_id);
    protobuf_c_message_free_unpacked(out, NULL), out = NULL;
  } else {
    CHECK(false, "submit: %s", st.message);
  }
  bool seen = false;
  for (int i = 0; i < 50 && s && !seen; i++) {
    int r = fr_stream_next_message(s, -1, &fieldreport__v1__watch_events_response__descriptor, &out, &st);
    if (r != FR_STREAM_MESSAGE) {
      CHECK(false, "stream ended: %s", st.message);
      break;
    }
    Fieldreport__V1__WatchEventsResponse *ev = (Fieldreport__V1__WatchEventsResponse *)out;
    if (ev->case_event && ev->case_event->entry && strcmp(ev->case_event->entry->case_id, case_id) == 0) seen = true;
    protobuf_c_message_free_unpacked(out, NULL), out = NULL;
  }
  CHECK(seen, "the submission arrived on the stream");

  /* GOAWAY: the server drains on SIGTERM */
  const char *pid = getenv("FIELDREPORT_SERVER_PID");
  if (pid && s) {
    CHECK(kill((pid_t)atoi(pid), SIGTERM) == 0, "SIGTERM");
    fr_bytes m;
    int r;
    while ((r = fr_stream_next(s, 60000, &m, &st)) == FR_STREAM_MESSAGE) fr_bytes_free(&m);
    CHECK(r == FR_STREAM_END && (st.code == FR_UNAVAILABLE || st.code == FR_CANCELLED), "stream ends on drain: %s %s",
          fr_code_name(st.code), st.message);
    printf("drain: the open stream ended %s (%s): %s\n", fr_code_name(st.code), st.local ? "local" : "server",
           st.message);
    const Rpc__V1__GoAway *g = fr_conn_goaway(c);
    CHECK(g && g->code == RPC__V1__GO_AWAY_CODE__GO_AWAY_CODE_NO_ERROR && g->last_call_id >= 2, "GOAWAY NO_ERROR");
    CHECK(!fr_conn_usable(c), "not usable after GOAWAY");
    CHECK(fr_call(c, "/rpc.v1.Health/Check", "", 0, &opt, NULL, &st) == FR_UNAVAILABLE && st.not_processed,
          "new call after GOAWAY: %s", st.message);
  }
  fr_stream_close(s);
  fr_status_clear(&st);
  fr_close(c);
}

/* Against a server started with --idle-timeout-seconds 1: after a call, an idle connection gets GOAWAY
 * IDLE_TIMEOUT, and the next call is refused locally, not processed; a new connection works. */
static void test_idle(int port) {
  fr_status st = FR_STATUS_INIT;
  fr_call_options opt = {30000, NULL, 0};
  fr_conn *c = NULL;
  int code = -1;
  for (int attempt = 0; attempt < 5 && code != FR_OK; attempt++) { /* a slow first call may meet the GOAWAY */
    fr_close(c);
    c = fr_connect("127.0.0.1", port, 30000, &st);
    if (!c) break;
    code = fr_call(c, "/rpc.v1.Health/Check", "", 0, &opt, NULL, &st);
  }
  CHECK(c && code == FR_OK, "a first call: %s", st.message);
  if (c) {
    sleep(3);
    code = fr_call(c, "/rpc.v1.Health/Check", "", 0, &opt, NULL, &st);
    CHECK(code == FR_UNAVAILABLE && st.not_processed && st.local, "after the idle timeout: %s %s", fr_code_name(code),
          st.message);
    const Rpc__V1__GoAway *g = fr_conn_goaway(c);
    CHECK(g && g->code == RPC__V1__GO_AWAY_CODE__GO_AWAY_CODE_IDLE_TIMEOUT, "GOAWAY IDLE_TIMEOUT (%d)", g ? (int)g->code : -1);
    printf("idle: %s\n", st.message);
    fr_close(c);
  }
  c = fr_connect("127.0.0.1", port, 30000, &st);
  CHECK(c && fr_call(c, "/rpc.v1.Health/Check", "", 0, &opt, NULL, &st) == FR_OK, "a new connection: %s", st.message);
  fr_close(c);
  fr_status_clear(&st);
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc >= 2 && strcmp(argv[1], "offline") == 0) {
    test_vectors();
    test_fake_server();
  } else if (argc >= 3 && strcmp(argv[1], "e2e") == 0) {
    const char *password = getenv("FIELDREPORT_DEMO_PASSWORD");
    if (!password) {
      fprintf(stderr, "test_client: FIELDREPORT_DEMO_PASSWORD is not set\n");
      return 2;
    }
    test_e2e(atoi(argv[2]), password);
  } else if (argc >= 3 && strcmp(argv[1], "idle") == 0) {
    test_idle(atoi(argv[2]));
  } else {
    fprintf(stderr, "usage: test_client offline | test_client e2e PORT | test_client idle PORT\n");
    return 2;
  }
  printf("test_client %s: %d checks, %d failed\n", argv[1], checks, failures);
  return failures ? 1 : 0;
}
