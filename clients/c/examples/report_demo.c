/*
 * report_demo: the C client end to end against fieldreport-server.
 *
 *   report_demo [--host H] [--port P] [--user U] [--events N]
 *
 * The password comes from FIELDREPORT_PASSWORD (else FIELDREPORT_DEMO_PASSWORD). It logs in
 * (an IOC operator, default quan.tm, may submit reports taken by phone), submits a report, reads
 * it back with GetCase by its report code, then follows JournalService.WatchEvents from just
 * before the submission, so the stored SUBMIT event is replayed, and submits a second report
 * while the stream is open, so a live event follows. It prints at least N case events (default 2;
 * with N >= 2 until both submissions were seen) and exits 0, or prints the failing status and
 * exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fieldreport_client.h"
#include "fieldreport/v1/case.pb-c.h"
#include "fieldreport/v1/identity.pb-c.h"
#include "fieldreport/v1/journal.pb-c.h"

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *enum_name(const ProtobufCEnumDescriptor *d, int value) {
  const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
  return v ? v->name : "?";
}

static int fail(const char *what, const fr_status *st) {
  fprintf(stderr, "report_demo: %s failed: ", what);
  fr_status_print(stderr, st);
  return 1;
}

/* Submits one report; on success prints it and copies its report code into `code`. */
static int submit(fr_conn *conn, const fr_call_options *opt, const char *title, const char *key, char *code,
                  size_t code_len) {
  Fieldreport__V1__GeoPoint where = FIELDREPORT__V1__GEO_POINT__INIT;
  where.latitude = 18.4412;
  where.longitude = 105.742;
  Fieldreport__V1__ReporterInfo reporter = FIELDREPORT__V1__REPORTER_INFO__INIT;
  reporter.full_name = (char *)"Nguyễn Văn Bình";
  reporter.phone = (char *)"0912345678";
  Fieldreport__V1__SubmitReportRequest req = FIELDREPORT__V1__SUBMIT_REPORT_REQUEST__INIT;
  req.idempotency_key = (char *)key;
  req.title = (char *)title;
  req.content = (char *)"Rác thải sinh hoạt tập kết ven đường gây mùi hôi, đề nghị xử lý (báo qua điện thoại).";
  req.category_id = (char *)"MOI-TRUONG";
  req.event_address = (char *)"Chợ Đồng Lộc, Can Lộc, Hà Tĩnh";
  req.location = &where;
  req.reporter_allows_public = 1;
  req.reporter = &reporter;

  fr_status st = FR_STATUS_INIT;
  ProtobufCMessage *out = NULL;
  if (fr_call_message(conn, "/fieldreport.v1.CaseService/SubmitReport", &req.base,
                      &fieldreport__v1__submit_report_response__descriptor, opt, &out, &st) != FR_OK) {
    int r = fail("SubmitReport", &st);
    fr_status_clear(&st);
    return r;
  }
  Fieldreport__V1__SubmitReportResponse *resp = (Fieldreport__V1__SubmitReportResponse *)out;
  int r = 0;
  if (!resp->case_summary || !resp->case_summary->report_code[0]) {
    fprintf(stderr, "report_demo: SubmitReport answered without a case summary\n");
    r = 1;
  } else {
    printf("submitted: report code %s, case %s, state %s, version %lld\n", resp->case_summary->report_code,
           resp->case_summary->case_id, enum_name(&fieldreport__v1__case_state__descriptor, resp->case_summary->state),
           (long long)resp->case_summary->version);
    snprintf(code, code_len, "%s", resp->case_summary->report_code);
  }
  protobuf_c_message_free_unpacked(out, NULL);
  fr_status_clear(&st);
  return r;
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1", *user = "quan.tm";
  int port = 7443, want_events = 2;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && strcmp(argv[i], "--host") == 0) host = argv[++i];
    else if (i + 1 < argc && strcmp(argv[i], "--port") == 0) port = atoi(argv[++i]);
    else if (i + 1 < argc && strcmp(argv[i], "--user") == 0) user = argv[++i];
    else if (i + 1 < argc && strcmp(argv[i], "--events") == 0) want_events = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: report_demo [--host H] [--port P] [--user U] [--events N]\n"
                      "  password: FIELDREPORT_PASSWORD or FIELDREPORT_DEMO_PASSWORD\n");
      return 2;
    }
  }
  const char *password = getenv("FIELDREPORT_PASSWORD");
  if (!password) password = getenv("FIELDREPORT_DEMO_PASSWORD");
  if (!password) {
    fprintf(stderr, "report_demo: set FIELDREPORT_PASSWORD\n");
    return 2;
  }

  int rc = 1;
  fr_status st = FR_STATUS_INIT;
  ProtobufCMessage *out = NULL;
  fr_stream *stream = NULL;
  char token_header[600] = "";
  char code[64] = "", code2[64] = "";
  char key[64], key2[64];
  int64_t started = now_ms();
  snprintf(key, sizeof key, "c-demo-%lld-1", (long long)started);
  snprintf(key2, sizeof key2, "c-demo-%lld-2", (long long)started);

  fr_conn *conn = fr_connect(host, port, 10000, &st);
  if (!conn) return fail("connect", &st);
  const Rpc__V1__Settings *settings = fr_server_settings(conn);
  printf("connected to %s:%d (%s; max frame %u bytes, max %u calls)\n", host, port, settings->implementation,
         settings->max_frame_size, settings->max_concurrent_calls);

  /* Login: no authorization needed. */
  Fieldreport__V1__LoginRequest login = FIELDREPORT__V1__LOGIN_REQUEST__INIT;
  login.username = (char *)user;
  login.password = (char *)password;
  login.device_label = (char *)"C client example";
  fr_call_options plain = {30000, NULL, 0};
  if (fr_call_message(conn, "/fieldreport.v1.IdentityService/Login", &login.base,
                      &fieldreport__v1__login_response__descriptor, &plain, &out, &st) != FR_OK) {
    rc = fail("Login", &st);
    goto done;
  }
  Fieldreport__V1__LoginResponse *session = (Fieldreport__V1__LoginResponse *)out;
  snprintf(token_header, sizeof token_header, "Bearer %s", session->session_token);
  printf("logged in as %s (%s)\n", user, session->user ? session->user->full_name : "?");
  protobuf_c_message_free_unpacked(out, NULL);
  out = NULL;

  fr_metadata md[2] = {{"authorization", token_header, NULL, 0}, {"x-trace-id", "c-client-demo", NULL, 0}};
  fr_call_options opt = {30000, md, 2};

  /* Submit, then read back by report code. */
  if (submit(conn, &opt, "Rác thải ùn ứ tại chợ Đồng Lộc (C client)", key, code, sizeof code) != 0) goto done;
  Fieldreport__V1__GetCaseRequest get = FIELDREPORT__V1__GET_CASE_REQUEST__INIT;
  get.key_case = FIELDREPORT__V1__GET_CASE_REQUEST__KEY_REPORT_CODE;
  get.report_code = code;
  if (fr_call_message(conn, "/fieldreport.v1.CaseService/GetCase", &get.base,
                      &fieldreport__v1__get_case_response__descriptor, &opt, &out, &st) != FR_OK) {
    rc = fail("GetCase", &st);
    goto done;
  }
  Fieldreport__V1__GetCaseResponse *got = (Fieldreport__V1__GetCaseResponse *)out;
  if (!got->case_detail || !got->case_detail->report || !got->case_detail->summary ||
      strcmp(got->case_detail->report->report_code, code) != 0) {
    fprintf(stderr, "report_demo: GetCase returned another case\n");
    goto done;
  }
  printf("read back: %s \"%s\" (%s), state %s, reporter %s\n", got->case_detail->report->report_code,
         got->case_detail->report->title,
         got->case_detail->report->category ? got->case_detail->report->category->category_name : "?",
         enum_name(&fieldreport__v1__case_state__descriptor, got->case_detail->summary->state),
         got->case_detail->report->reporter ? got->case_detail->report->reporter->full_name : "(hidden)");
  protobuf_c_message_free_unpacked(out, NULL);
  out = NULL;

  /* Follow the event stream from just before the first submission (stored events are
   * replayed, then live ones follow), and cause a live event with a second report. */
  Fieldreport__V1__WatchEventsRequest watch = FIELDREPORT__V1__WATCH_EVENTS_REQUEST__INIT;
  watch.start_case = FIELDREPORT__V1__WATCH_EVENTS_REQUEST__START_SINCE_MS;
  watch.since_ms = started - 1000;
  watch.heartbeat_interval_ms = 1000;
  fr_call_options stream_opt = {120000, md, 2};
  stream = fr_stream_open_message(conn, "/fieldreport.v1.JournalService/WatchEvents", &watch.base, &stream_opt, &st);
  if (!stream) {
    rc = fail("WatchEvents", &st);
    goto done;
  }
  if (submit(conn, &opt, "Đèn đường hỏng trên đường Trần Phú (C client)", key2, code2, sizeof code2) != 0) goto done;

  int events = 0, heartbeats = 0;
  bool saw_first = false, saw_second = false;
  /* N events, and at least until both submissions were seen (other callers' events may come
   * first on a busy server); bounded by the stream's deadline and the heartbeat count. */
  while (events < want_events || (want_events >= 2 && !(saw_first && saw_second))) {
    int r = fr_stream_next_message(stream, -1, &fieldreport__v1__watch_events_response__descriptor, &out, &st);
    if (r != FR_STREAM_MESSAGE) {
      rc = fail("WatchEvents stream", &st);
      goto done;
    }
    Fieldreport__V1__WatchEventsResponse *ev = (Fieldreport__V1__WatchEventsResponse *)out;
    if (ev->payload_case == FIELDREPORT__V1__WATCH_EVENTS_RESPONSE__PAYLOAD_CASE_EVENT && ev->case_event &&
        ev->case_event->entry && ev->case_event->case_summary) {
      const char *rc_code = ev->case_event->case_summary->report_code;
      if (strcmp(rc_code, code) == 0) saw_first = true;
      if (strcmp(rc_code, code2) == 0) saw_second = true;
      printf("event %d: %s on %s \"%s\" → %s (cursor %.16s…)\n", ++events,
             enum_name(&fieldreport__v1__journal_action__descriptor, ev->case_event->entry->action), rc_code,
             ev->case_event->report_title,
             enum_name(&fieldreport__v1__case_state__descriptor, ev->case_event->entry->to_state), ev->cursor);
    } else if (ev->payload_case == FIELDREPORT__V1__WATCH_EVENTS_RESPONSE__PAYLOAD_HEARTBEAT) {
      heartbeats++;
      if (heartbeats > 60) {
        fprintf(stderr, "report_demo: 60 heartbeats and still waiting for events\n");
        protobuf_c_message_free_unpacked(out, NULL);
        out = NULL;
        goto done;
      }
    }
    protobuf_c_message_free_unpacked(out, NULL);
    out = NULL;
  }
  if (want_events >= 2 && (!saw_first || !saw_second)) {
    fprintf(stderr, "report_demo: the stream did not show both submissions\n");
    goto done;
  }
  fr_stream_cancel(stream);
  (void)fr_stream_next(stream, 0, NULL, &st); /* the end: CANCELLED, local */
  printf("stream ended: %s (%s)\n", fr_code_name(st.code), st.message);
  printf("ok: %d events, %d heartbeats\n", events, heartbeats);
  rc = 0;

done:
  if (out) protobuf_c_message_free_unpacked(out, NULL);
  fr_stream_close(stream);
  fr_status_clear(&st);
  fr_close(conn);
  return rc;
}
