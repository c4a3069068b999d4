/*
 * splice-bench: the workload of the Linux 3.7 splice/loopback report, as an oracle.
 *
 * One invocation forks a server and a client connected over 127.0.0.1 (or ::1 with
 * --ipv6). The server moves data from a pipe into the TCP socket with splice() and
 * SPLICE_F_MORE (the pipe is fed from a file, like an HTTP server serving one), or with
 * send()/MSG_MORE for comparison; the client receives, times every receive, and prints
 * ONE JSON line on stdout with throughput, receive stalls and TCP counters.
 *
 * Patterns:
 *   bulk  one long transfer (--bytes N, or --duration S).
 *   rr    request/response: the client sends a small request, the server answers with
 *         --response-size bytes fed into the pipe in --chunk pieces and spliced out, then
 *         waits for the next request. Only this pattern shows the 3.7 bug class: a bulk
 *         transfer fills the send buffer, which forces a push anyway.
 *
 * A transfer that stops moving for --timeout seconds is a RESULT ("hang": true, exit 0):
 * on a broken kernel the tail of a response may never be sent, and the bisect must count
 * that as bad rather than as an infrastructure failure.
 *
 * Exit codes:
 *   0  a result was printed (including "hang": true)
 *   1  other system error while setting up (temporary file, pipe, fork)
 *   2  bad arguments
 *   3  splice() into a TCP socket is unsupported here (EINVAL/ENOSYS)
 *   4  socket error (socket, bind, listen, connect, accept, a connection dropped early)
 *   5  internal timeout: the watchdog fired because a step did not return in time
 *
 * C99 + POSIX + GNU (splice, vmsplice, pipe2); libc only, builds statically.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_OTHER 1
#define EXIT_BAD_ARGS 2
#define EXIT_SPLICE_UNSUPPORTED 3
#define EXIT_SOCKET 4
#define EXIT_WATCHDOG 5

#define KIB 1024ULL
#define MIB (1024ULL * 1024ULL)
#define GIB (1024ULL * 1024ULL * 1024ULL)
/* "over" asks splice() for this much beyond what is left: the 3.7 trigger. */
#define OVER_BYTES MIB
/* Receive gaps at or above this are stalls; LAB-NOTES puts the TCG noise floor at ~20 ms. */
#define STALL_MS 30.0
#define RECV_BUF (256 * 1024)

enum pattern { PATTERN_BULK, PATTERN_RR };
enum mode { MODE_SPLICE, MODE_SPLICE_NOMORE, MODE_SEND, MODE_SEND_NOMORE };
enum splice_len { LEN_REMAINING, LEN_OVER };
enum more { MORE_ALL_BUT_LAST, MORE_ALL, MORE_NONE };
enum source { SOURCE_FILE, SOURCE_VMSPLICE };

static const char *const pattern_names[] = {"bulk", "rr"};
static const char *const mode_names[] = {"splice", "splice-nomore", "send", "send-nomore"};
static const char *const splice_len_names[] = {"remaining", "over"};
static const char *const more_names[] = {"all-but-last", "all", "none"};
static const char *const source_names[] = {"file", "vmsplice"};

struct options {
  enum pattern pattern;
  enum mode mode;
  unsigned long long bytes; /* 0: run for duration */
  double duration;          /* seconds; 0 when --bytes is used */
  unsigned long long response_size;
  unsigned long long chunk;
  unsigned long long request_size;
  enum splice_len splice_len;
  enum more more;      /* as given */
  enum more more_used; /* after the mode: the nomore modes never set MORE */
  enum source source;
  int ipv6;
  int port;
  long mtu; /* 0: leave lo alone */
  double timeout;
  /* Test only: the server stops sending after this many bytes and sleeps (0: off). */
  unsigned long long stop_sending_after;
};

/* ---- small helpers ------------------------------------------------------------------ */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("splice-bench: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(out, "\\%c", *p);
    else if (*p < 0x20)
      fprintf(out, "\\u%04x", *p);
    else
      fputc(*p, out);
  }
  fputc('"', out);
}

static int pick(const char *value, const char *const *names, int count, const char *flag) {
  for (int i = 0; i < count; i++)
    if (strcmp(value, names[i]) == 0) return i;
  say("bad value for %s: '%s'", flag, value);
  exit(EXIT_BAD_ARGS);
}

/* A size with an optional binary suffix (K, M, G): sizes are pipe and page multiples. */
static unsigned long long parse_size(const char *value, const char *flag,
                                     unsigned long long min, unsigned long long max) {
  char *end = NULL;
  errno = 0;
  unsigned long long n = strtoull(value, &end, 10);
  if (errno || end == value || value[0] == '-') goto bad;
  switch (*end) {
  case '\0': break;
  case 'k': case 'K': n *= KIB; end++; break;
  case 'm': case 'M': n *= MIB; end++; break;
  case 'g': case 'G': n *= GIB; end++; break;
  default: goto bad;
  }
  if (*end != '\0' || n < min || n > max) goto bad;
  return n;
bad:
  say("bad value for %s: '%s' (expected %llu..%llu, suffix K/M/G allowed)", flag, value, min,
      max);
  exit(EXIT_BAD_ARGS);
}

static double parse_seconds(const char *value, const char *flag, double max) {
  char *end = NULL;
  errno = 0;
  double s = strtod(value, &end);
  if (errno || end == value || *end != '\0' || !(s > 0) || s > max) {
    say("bad value for %s: '%s' (expected seconds, 0 < s <= %g)", flag, value, max);
    exit(EXIT_BAD_ARGS);
  }
  return s;
}

static void usage(FILE *out) {
  fputs(
      "usage: splice-bench [options]\n"
      "  --pattern bulk|rr            one long transfer, or request/response (default bulk)\n"
      "  --mode splice|splice-nomore|send|send-nomore   (default splice)\n"
      "  --bytes N                    bulk: transfer N bytes\n"
      "  --duration S                 run for S seconds (default 2)\n"
      "  --response-size N            rr: bytes per response (default 64K)\n"
      "  --request-size N             rr: bytes per request (default 128)\n"
      "  --chunk N                    bytes fed into the pipe per piece (default 16K)\n"
      "  --splice-len remaining|over  ask splice() for the bytes left, or 1 MiB more\n"
      "                               (default over)\n"
      "  --more all-but-last|all|none which writes carry SPLICE_F_MORE/MSG_MORE\n"
      "                               (default all-but-last)\n"
      "  --source file|vmsplice       what feeds the pipe (default file)\n"
      "  --ipv6                       use ::1 instead of 127.0.0.1\n"
      "  --port P                     listen port (default 0: ephemeral)\n"
      "  --mtu N                      set lo's MTU first (restored afterwards)\n"
      "  --timeout S                  no byte for S seconds = hang (default 10)\n"
      "Prints one JSON line. Exit: 0 result (also a hang), 1 system error, 2 bad arguments,\n"
      "3 splice unsupported, 4 socket error, 5 watchdog.\n",
      out);
}

static void parse_args(int argc, char **argv, struct options *o) {
  enum {
    OPT_PATTERN = 256, OPT_MODE, OPT_BYTES, OPT_DURATION, OPT_RESPONSE_SIZE, OPT_REQUEST_SIZE,
    OPT_CHUNK, OPT_SPLICE_LEN, OPT_MORE, OPT_SOURCE, OPT_IPV6, OPT_PORT, OPT_MTU, OPT_TIMEOUT,
    OPT_HELP, OPT_TEST_STOP
  };
  static const struct option longs[] = {
      {"pattern", required_argument, NULL, OPT_PATTERN},
      {"mode", required_argument, NULL, OPT_MODE},
      {"bytes", required_argument, NULL, OPT_BYTES},
      {"duration", required_argument, NULL, OPT_DURATION},
      {"response-size", required_argument, NULL, OPT_RESPONSE_SIZE},
      {"request-size", required_argument, NULL, OPT_REQUEST_SIZE},
      {"chunk", required_argument, NULL, OPT_CHUNK},
      {"splice-len", required_argument, NULL, OPT_SPLICE_LEN},
      {"more", required_argument, NULL, OPT_MORE},
      {"source", required_argument, NULL, OPT_SOURCE},
      {"ipv6", no_argument, NULL, OPT_IPV6},
      {"port", required_argument, NULL, OPT_PORT},
      {"mtu", required_argument, NULL, OPT_MTU},
      {"timeout", required_argument, NULL, OPT_TIMEOUT},
      {"help", no_argument, NULL, OPT_HELP},
      /* Not in the usage text: provokes a hang so tests can prove hangs are reported. */
      {"test-stop-sending-after", required_argument, NULL, OPT_TEST_STOP},
      {NULL, 0, NULL, 0},
  };
  *o = (struct options){
      .pattern = PATTERN_BULK,
      .mode = MODE_SPLICE,
      .response_size = 64 * KIB,
      .chunk = 16 * KIB,
      .request_size = 128,
      .splice_len = LEN_OVER,
      .more = MORE_ALL_BUT_LAST,
      .source = SOURCE_FILE,
      .timeout = 10,
  };
  int more_given = 0;
  opterr = 0;
  for (;;) {
    int c = getopt_long(argc, argv, ":", longs, NULL);
    if (c == -1) break;
    switch (c) {
    case OPT_PATTERN: o->pattern = pick(optarg, pattern_names, 2, "--pattern"); break;
    case OPT_MODE: o->mode = pick(optarg, mode_names, 4, "--mode"); break;
    case OPT_BYTES: o->bytes = parse_size(optarg, "--bytes", 1, 1024 * GIB); break;
    case OPT_DURATION: o->duration = parse_seconds(optarg, "--duration", 3600); break;
    case OPT_RESPONSE_SIZE:
      o->response_size = parse_size(optarg, "--response-size", 1, GIB);
      break;
    case OPT_REQUEST_SIZE:
      o->request_size = parse_size(optarg, "--request-size", 1, 64 * KIB);
      break;
    case OPT_CHUNK: o->chunk = parse_size(optarg, "--chunk", 1, 16 * MIB); break;
    case OPT_SPLICE_LEN:
      o->splice_len = pick(optarg, splice_len_names, 2, "--splice-len");
      break;
    case OPT_MORE:
      o->more = pick(optarg, more_names, 3, "--more");
      more_given = 1;
      break;
    case OPT_SOURCE: o->source = pick(optarg, source_names, 2, "--source"); break;
    case OPT_IPV6: o->ipv6 = 1; break;
    case OPT_PORT: o->port = (int)parse_size(optarg, "--port", 0, 65535); break;
    case OPT_MTU: o->mtu = (long)parse_size(optarg, "--mtu", 68, 16 * MIB); break;
    case OPT_TIMEOUT: o->timeout = parse_seconds(optarg, "--timeout", 3600); break;
    case OPT_HELP: usage(stdout); exit(0);
    case OPT_TEST_STOP:
      o->stop_sending_after = parse_size(optarg, "--test-stop-sending-after", 1, 1024 * GIB);
      break;
    case ':':
      say("option %s needs a value", argv[optind - 1]);
      exit(EXIT_BAD_ARGS);
    default:
      say("unknown option '%s' (see --help)", argv[optind - 1]);
      exit(EXIT_BAD_ARGS);
    }
  }
  if (optind < argc) {
    say("unexpected argument '%s' (see --help)", argv[optind]);
    exit(EXIT_BAD_ARGS);
  }
  if (o->bytes && o->duration > 0) {
    say("--bytes and --duration exclude each other");
    exit(EXIT_BAD_ARGS);
  }
  if (o->pattern == PATTERN_RR && o->bytes) {
    say("--bytes is for --pattern bulk; rr runs for --duration");
    exit(EXIT_BAD_ARGS);
  }
  int nomore = o->mode == MODE_SPLICE_NOMORE || o->mode == MODE_SEND_NOMORE;
  if (nomore && more_given && o->more != MORE_NONE) {
    say("--mode %s never sets MORE; --more %s contradicts it", mode_names[o->mode],
        more_names[o->more]);
    exit(EXIT_BAD_ARGS);
  }
  o->more_used = nomore ? MORE_NONE : o->more;
  if (!o->bytes && !(o->duration > 0)) o->duration = 2;
}

/* ---- kernel counters ---------------------------------------------------------------- */

/*
 * Reads one named counter from a /proc/net/snmp-style file, where a header line
 * "Prefix: name name ..." is followed by a value line "Prefix: value value ...".
 * Returns -1 when the file or the counter is missing (old kernels, no procfs).
 */
static long long proc_counter(const char *path, const char *prefix, const char *name) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  static char header[16384], values[16384];
  long long result = -1;
  size_t plen = strlen(prefix);
  while (fgets(header, sizeof header, f)) {
    if (strncmp(header, prefix, plen) != 0) continue;
    if (!fgets(values, sizeof values, f)) break;
    char *hsave = NULL, *vsave = NULL;
    char *h = strtok_r(header + plen, " \n", &hsave);
    char *v = strtok_r(values + plen, " \n", &vsave);
    while (h && v) {
      if (strcmp(h, name) == 0) {
        result = strtoll(v, NULL, 10);
        break;
      }
      h = strtok_r(NULL, " \n", &hsave);
      v = strtok_r(NULL, " \n", &vsave);
    }
    break;
  }
  fclose(f);
  return result;
}

static long long retrans_segs(void) {
  return proc_counter("/proc/net/snmp", "Tcp:", "RetransSegs");
}
static long long delayed_acks(void) {
  return proc_counter("/proc/net/netstat", "TcpExt:", "DelayedACKs");
}

/* ---- lo MTU --------------------------------------------------------------------------- */

struct mtu_state {
  int set;
  int previous; /* -1 unknown */
  int restore;  /* put `previous` back when done */
  char reason[160];
};

static struct mtu_state g_mtu = {.previous = -1};

static int lo_mtu_get(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int mtu = ioctl(fd, SIOCGIFMTU, &ifr) == 0 ? ifr.ifr_mtu : -1;
  close(fd);
  return mtu;
}

static int lo_mtu_set(int mtu) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  ifr.ifr_mtu = mtu;
  int rc = ioctl(fd, SIOCSIFMTU, &ifr);
  int saved = errno;
  close(fd);
  errno = saved;
  return rc;
}

/* Must happen before any socket exists: MSS is fixed when a connection is made. */
static void apply_mtu(long mtu) {
  if (!mtu) {
    snprintf(g_mtu.reason, sizeof g_mtu.reason, "not requested");
    return;
  }
  g_mtu.previous = lo_mtu_get();
  if (lo_mtu_set((int)mtu) != 0) {
    snprintf(g_mtu.reason, sizeof g_mtu.reason, "SIOCSIFMTU lo %ld: %s", mtu, strerror(errno));
    return;
  }
  g_mtu.set = 1;
  g_mtu.restore = g_mtu.previous > 0 && g_mtu.previous != (int)mtu;
  snprintf(g_mtu.reason, sizeof g_mtu.reason, "set from %d to %ld", g_mtu.previous, mtu);
}

/* Leaves lo as we found it: a lab runs other tests after this one. Signal-safe (ioctl). */
static void restore_mtu(void) {
  if (g_mtu.restore && lo_mtu_set(g_mtu.previous) == 0) g_mtu.restore = 0;
}

/* ---- server ----------------------------------------------------------------------------- */

struct source_state {
  int file_fd;       /* SOURCE_FILE: a file of `chunk` bytes, spliced from offset 0 */
  char *buf;         /* send modes and SOURCE_VMSPLICE: the same bytes in memory */
  int pipe_r, pipe_w;
  size_t pipe_size;
};

struct server {
  const struct options *o;
  int sock;
  struct source_state src;
  unsigned long long sent_total; /* across the whole connection, for the test stop */
};

static void server_fail_io(const char *what) {
  int e = errno;
  if (e == EPIPE || e == ECONNRESET) exit(0); /* the client is done with us */
  if (e == EINVAL || e == ENOSYS) {
    say("server: %s into a TCP socket is not supported here: %s", what, strerror(e));
    exit(EXIT_SPLICE_UNSUPPORTED);
  }
  say("server: %s: %s", what, strerror(e));
  exit(EXIT_SOCKET);
}

static void server_test_stop(struct server *s, size_t *len) {
  if (!s->o->stop_sending_after) return;
  if (s->sent_total >= s->o->stop_sending_after) {
    /* The tail never leaves, as on the 3.7-logic kernel: sleep until the client kills us. */
    for (;;) pause();
  }
  unsigned long long left = s->o->stop_sending_after - s->sent_total;
  if (*len > left) *len = (size_t)left;
}

static void setup_source(struct server *s) {
  const struct options *o = s->o;
  size_t chunk = (size_t)o->chunk;
  /*
   * Page-aligned, so vmsplice() hands TCP whole pages like the page cache does: an
   * unaligned 16 KiB piece spans 5 pages, a 64 KiB response then needs more fragments
   * than one skb holds, and Nagle holds the short second skb until a delayed ACK
   * (~40 ms per response on 6.18) — a stall of this program, not of the kernel.
   */
  long page = sysconf(_SC_PAGESIZE);
  if (posix_memalign((void **)&s->src.buf, page > 0 ? (size_t)page : 4096, chunk) != 0)
    s->src.buf = NULL;
  if (!s->src.buf) {
    say("server: cannot allocate %zu bytes", chunk);
    exit(EXIT_OTHER);
  }
  for (size_t i = 0; i < chunk; i++) s->src.buf[i] = (char)('a' + i % 26);
  s->src.file_fd = -1;
  int is_splice = o->mode == MODE_SPLICE || o->mode == MODE_SPLICE_NOMORE;
  if (!is_splice) return;

  if (o->source == SOURCE_FILE) {
    const char *dirs[] = {getenv("TMPDIR"), "/tmp", "/dev/shm", "/var/tmp", "."};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0] && s->src.file_fd < 0; i++) {
      if (!dirs[i] || !*dirs[i]) continue;
      char path[PATH_MAX];
      snprintf(path, sizeof path, "%s/splice-bench.XXXXXX", dirs[i]);
      int fd = mkstemp(path);
      if (fd < 0) continue;
      unlink(path);
      size_t done = 0;
      while (done < chunk) {
        ssize_t n = write(fd, s->src.buf + done, chunk - done);
        if (n <= 0) break;
        done += (size_t)n;
      }
      if (done == chunk) {
        s->src.file_fd = fd;
      } else {
        close(fd);
      }
    }
    if (s->src.file_fd < 0) {
      say("server: cannot create a %zu-byte data file (TMPDIR, /tmp, /dev/shm, /var/tmp, .)",
          chunk);
      exit(EXIT_OTHER);
    }
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    say("server: pipe: %s", strerror(errno));
    exit(EXIT_OTHER);
  }
  s->src.pipe_r = p[0];
  s->src.pipe_w = p[1];
  /* A piece should fit the pipe whole, so each piece is one splice as in the report. */
  if (chunk > 65536) fcntl(p[1], F_SETPIPE_SZ, (int)(chunk > 0x40000000 ? 0x40000000 : chunk));
  int size = fcntl(p[1], F_GETPIPE_SZ);
  s->src.pipe_size = size > 0 ? (size_t)size : 65536;
}

/* Moves `len` bytes of the data file (or buffer) into the pipe; returns bytes moved. */
static size_t feed_pipe(struct server *s, size_t len) {
  size_t moved = 0;
  while (moved < len) {
    ssize_t n;
    if (s->o->source == SOURCE_FILE) {
      loff_t off = (loff_t)moved;
      n = splice(s->src.file_fd, &off, s->src.pipe_w, NULL, len - moved, 0);
    } else {
      struct iovec iov = {.iov_base = s->src.buf + moved, .iov_len = len - moved};
      n = vmsplice(s->src.pipe_w, &iov, 1, 0);
    }
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0 && (errno == EINVAL || errno == ENOSYS)) {
        say("server: feeding the pipe (%s) is not supported here: %s",
            source_names[s->o->source], strerror(errno));
        exit(EXIT_SPLICE_UNSUPPORTED);
      }
      say("server: feeding the pipe: %s", n < 0 ? strerror(errno) : "no progress");
      exit(EXIT_OTHER);
    }
    moved += (size_t)n;
  }
  return moved;
}

static int want_more(const struct options *o, int last) {
  switch (o->more_used) {
  case MORE_ALL: return 1;
  case MORE_NONE: return 0;
  case MORE_ALL_BUT_LAST: return !last;
  }
  return 0;
}

/*
 * Sends `total` bytes (ULLONG_MAX: until the client goes away) the way the report's
 * server did: pieces of --chunk bytes go file -> pipe -> socket. A splice is "last" when
 * the pipe already holds every byte still owed; only that one goes without MORE under
 * --more all-but-last. The length asked of splice() is the bytes still owed ("remaining")
 * or 1 MiB more ("over"), which makes sd->len < sd->total_len on the last page: the
 * condition under which 3.7 set MSG_SENDPAGE_NOTLAST and the tail was never pushed.
 */
static void send_stream(struct server *s, unsigned long long total) {
  const struct options *o = s->o;
  int is_splice = o->mode == MODE_SPLICE || o->mode == MODE_SPLICE_NOMORE;
  unsigned long long fed = 0, sent = 0;
  size_t piece_max = (size_t)o->chunk;
  if (is_splice && piece_max > s->src.pipe_size) piece_max = s->src.pipe_size;

  while (sent < total) {
    unsigned long long owed = total - sent;
    size_t piece = owed < piece_max ? (size_t)owed : piece_max;
    if (!is_splice) {
      int last = sent + piece >= total;
      size_t len = piece;
      server_test_stop(s, &len);
      size_t done = 0;
      while (done < len) {
        int flags = MSG_NOSIGNAL | (want_more(o, last) ? MSG_MORE : 0);
        ssize_t n = send(s->sock, s->src.buf + done, len - done, flags);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) server_fail_io("send");
        done += (size_t)n;
      }
      sent += len;
      s->sent_total += len;
      continue;
    }
    fed += feed_pipe(s, piece);
    size_t in_pipe = (size_t)(fed - sent);
    while (in_pipe > 0) {
      int last = fed >= total;
      /* Unbounded bulk owes no known total: "remaining" is then what the pipe holds. */
      unsigned long long left = total == ULLONG_MAX ? in_pipe : total - sent;
      if (left > GIB) left = GIB;
      unsigned long long ask = o->splice_len == LEN_OVER ? left + OVER_BYTES : left;
      size_t limit = in_pipe;
      server_test_stop(s, &limit);
      if (limit < in_pipe) ask = limit; /* test stop: never more than allowed */
      unsigned int flags = want_more(o, last) ? SPLICE_F_MORE : 0;
      ssize_t n = splice(s->src.pipe_r, NULL, s->sock, NULL, (size_t)ask, flags);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) server_fail_io("splice");
      if (n == 0) {
        say("server: splice moved nothing with %zu bytes in the pipe", in_pipe);
        exit(EXIT_SOCKET);
      }
      in_pipe -= (size_t)n;
      sent += (unsigned long long)n;
      s->sent_total += (unsigned long long)n;
    }
  }
}

static int read_exact(int fd, char *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = recv(fd, buf + got, len - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) return got == 0 ? 0 : -1;
    got += (size_t)n;
  }
  return 1;
}

static void serve(int listen_fd, const struct options *o) {
  struct server s = {.o = o, .sock = -1};
  signal(SIGPIPE, SIG_IGN);
  /* If the client side dies, nothing would ever kill us: die with it. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) exit(0);
  setup_source(&s);
  for (;;) {
    s.sock = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (s.sock >= 0) break;
    if (errno != EINTR) {
      say("server: accept: %s", strerror(errno));
      exit(EXIT_SOCKET);
    }
  }
  close(listen_fd);

  if (o->pattern == PATTERN_BULK) {
    send_stream(&s, o->bytes ? o->bytes : ULLONG_MAX);
    shutdown(s.sock, SHUT_WR);
    exit(0);
  }
  char *request = malloc((size_t)o->request_size);
  if (!request) exit(EXIT_OTHER);
  for (;;) {
    int r = read_exact(s.sock, request, (size_t)o->request_size);
    if (r == 0) exit(0);
    if (r < 0) server_fail_io("recv request");
    send_stream(&s, o->response_size);
  }
}

/* ---- client ------------------------------------------------------------------------------ */

/* Gap buckets in ms: [30,35) [35,60) [60,180) [180,300) [300,inf). */
static const double bucket_floor_ms[] = {30, 35, 60, 180, 300};
static const char *const bucket_names[] = {"30-35", "35-60", "60-180", "180-300", "300+"};
#define BUCKETS 5

struct client {
  const struct options *o;
  int sock;
  double start, end;
  double deadline;     /* end of --duration (0: none) */
  double last_event;   /* time gaps are measured from */
  unsigned long long bytes;
  unsigned long long transactions;
  int hang;
  unsigned long long stall_count;
  unsigned long long buckets[BUCKETS];
  double stalled_ms; /* sum of the stalls: what a stall-measuring bisect compares */
  double longest_gap_ms;
  char *buf;
};

static volatile pid_t g_server_pid = -1;

static void kill_server(void) {
  pid_t pid = g_server_pid;
  if (pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    g_server_pid = -1;
  }
}

static void note_gap(struct client *c, double gap_s) {
  double ms = gap_s * 1000.0;
  if (ms > c->longest_gap_ms) c->longest_gap_ms = ms;
  if (ms < STALL_MS) return;
  c->stall_count++;
  c->stalled_ms += ms;
  int b = BUCKETS - 1;
  while (b > 0 && ms < bucket_floor_ms[b]) b--;
  c->buckets[b]++;
}

/* Last resort: only a syscall that ignores our poll() timeouts can make this fire. */
static void arm_watchdog(const struct options *o) {
  alarm((unsigned)ceil(o->timeout) + 5);
}

static void on_watchdog(int sig) {
  (void)sig;
  pid_t pid = g_server_pid;
  if (pid > 0) kill(pid, SIGKILL);
  restore_mtu();
  static const char msg[] = "splice-bench: watchdog: a step did not return in time\n";
  ssize_t ignored = write(2, msg, sizeof msg - 1);
  (void)ignored;
  _exit(EXIT_WATCHDOG);
}

static void on_terminate(int sig) {
  pid_t pid = g_server_pid;
  if (pid > 0) kill(pid, SIGKILL);
  restore_mtu();
  _exit(128 + sig);
}

/*
 * The server went away before the transfer was over. Its exit code says why (e.g. 3:
 * splice unsupported), so wait briefly for it and pass it on.
 */
static void connection_lost(struct client *c, const char *what) {
  const char *why = what ? what : "connection closed";
  pid_t pid = g_server_pid;
  int status = 0;
  for (int i = 0; i < 200 && pid > 0; i++) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      g_server_pid = -1;
      restore_mtu();
      if (WIFEXITED(status) && WEXITSTATUS(status) != 0) exit(WEXITSTATUS(status));
      break;
    }
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  kill_server();
  restore_mtu();
  say("client: %s after %llu bytes", why, c->bytes);
  exit(EXIT_SOCKET);
}

/*
 * Receives until `want` bytes arrived (0: until the duration ends). Every receive event
 * (a recv() that returned data) closes a gap measured from c->last_event. Returns 0 when
 * done, 1 when the duration ended (bulk only), -1 on a hang.
 */
static int receive(struct client *c, unsigned long long want) {
  unsigned long long got = 0;
  for (;;) {
    double t = now_s();
    if (c->deadline > 0 && want == 0 && t >= c->deadline) return 1;
    double wait_s = c->last_event + c->o->timeout - t;
    if (wait_s <= 0) {
      note_gap(c, t - c->last_event);
      return -1;
    }
    if (c->deadline > 0 && want == 0 && c->deadline - t < wait_s) wait_s = c->deadline - t;
    struct pollfd pfd = {.fd = c->sock, .events = POLLIN};
    arm_watchdog(c->o);
    int r = poll(&pfd, 1, (int)ceil(wait_s * 1000.0));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      say("client: poll: %s", strerror(errno));
      kill_server();
      restore_mtu();
      exit(EXIT_SOCKET);
    }
    if (r == 0) continue;
    /* Drain what is there; each recv() that returns data is a receive event. */
    for (;;) {
      size_t room = RECV_BUF;
      if (want && want - got < room) room = (size_t)(want - got);
      ssize_t n = recv(c->sock, c->buf, room, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0) connection_lost(c, strerror(errno));
      if (n == 0) connection_lost(c, "connection closed by the server");
      double event = now_s();
      note_gap(c, event - c->last_event);
      c->last_event = event;
      got += (unsigned long long)n;
      c->bytes += (unsigned long long)n;
      if (want && got >= want) return 0;
      /* A fast sender never lets the socket run dry: the duration must end the drain. */
      if (c->deadline > 0 && want == 0 && event >= c->deadline) return 1;
    }
  }
}

static int send_request(struct client *c, const char *req) {
  size_t len = (size_t)c->o->request_size, done = 0;
  double limit = now_s() + c->o->timeout;
  while (done < len) {
    ssize_t n = send(c->sock, req + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) connection_lost(c, strerror(errno));
    double left = limit - now_s();
    if (left <= 0) return -1;
    struct pollfd pfd = {.fd = c->sock, .events = POLLOUT};
    arm_watchdog(c->o);
    poll(&pfd, 1, (int)ceil(left * 1000.0));
  }
  return 0;
}

static void run_client(struct client *c) {
  const struct options *o = c->o;
  c->start = now_s();
  c->last_event = c->start;
  if (o->duration > 0) c->deadline = c->start + o->duration;

  if (o->pattern == PATTERN_BULK) {
    /* Gaps: between successive receive events, the first one from connect. */
    c->hang = receive(c, o->bytes) < 0;
    c->end = now_s();
    return;
  }
  char *req = malloc((size_t)o->request_size);
  if (!req) exit(EXIT_OTHER);
  memset(req, 'G', (size_t)o->request_size);
  /*
   * Gaps in rr: from sending a request to the first bytes of its response, then between
   * successive receive events of that response. The time between the end of a response
   * and the next request is the client's own and is not a gap.
   */
  while (now_s() < c->deadline) {
    double asked = now_s();
    if (send_request(c, req) < 0) {
      /* The request never left: a hang, and its wait is a stall like a receive hang's. */
      note_gap(c, now_s() - asked);
      c->hang = 1;
      break;
    }
    c->last_event = now_s();
    if (receive(c, o->response_size) < 0) {
      c->hang = 1;
      break;
    }
    c->transactions++;
  }
  c->end = now_s();
  free(req);
}

/* ---- setup and report --------------------------------------------------------------------- */

static int make_listener(const struct options *o, int *port_out) {
  int family = o->ipv6 ? AF_INET6 : AF_INET;
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    say("socket: %s", strerror(errno));
    exit(EXIT_SOCKET);
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof ss);
  if (o->ipv6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    a->sin6_port = htons((uint16_t)o->port);
    len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons((uint16_t)o->port);
    len = sizeof *a;
  }
  if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
    say("bind %s port %d: %s", o->ipv6 ? "::1" : "127.0.0.1", o->port, strerror(errno));
    exit(EXIT_SOCKET);
  }
  if (listen(fd, 1) != 0) {
    say("listen: %s", strerror(errno));
    exit(EXIT_SOCKET);
  }
  len = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &len);
  *port_out = ntohs(o->ipv6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                            : ((struct sockaddr_in *)&ss)->sin_port);
  return fd;
}

static int connect_client(const struct options *o, int port) {
  int family = o->ipv6 ? AF_INET6 : AF_INET;
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof ss);
  if (o->ipv6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    a->sin6_port = htons((uint16_t)port);
    len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons((uint16_t)port);
    len = sizeof *a;
  }
  if (connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) return -1;
  struct pollfd pfd = {.fd = fd, .events = POLLOUT};
  int r = poll(&pfd, 1, (int)ceil(o->timeout * 1000.0));
  if (r <= 0) {
    errno = r == 0 ? ETIMEDOUT : errno;
    return -1;
  }
  int err = 0;
  socklen_t elen = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
  if (err) {
    errno = err;
    return -1;
  }
  return fd;
}

static void print_counter(FILE *out, const char *key, long long before, long long after) {
  if (before < 0 || after < 0)
    fprintf(out, ",\"%s\":null", key);
  else
    fprintf(out, ",\"%s\":%lld", key, after - before);
}

static void report(const struct client *c, const struct options *o, int port, int mss,
                   long long retrans0, long long retrans1, long long delack0,
                   long long delack1) {
  FILE *out = stdout;
  struct utsname u;
  const char *release = uname(&u) == 0 ? u.release : "unknown";
  double seconds = c->end - c->start;
  double bps = seconds > 0 ? (double)c->bytes / seconds : 0;

  fprintf(out, "{\"tool\":\"splice-bench\",\"version\":1");
  fprintf(out, ",\"pattern\":\"%s\",\"mode\":\"%s\"", pattern_names[o->pattern],
          mode_names[o->mode]);
  fprintf(out, ",\"bytes\":%llu,\"seconds\":%.6f", c->bytes, seconds);
  fprintf(out, ",\"throughput\":{\"bytesPerSec\":%.1f,\"gbitPerSec\":%.6f}", bps,
          bps * 8 / 1e9);
  if (o->pattern == PATTERN_RR)
    fprintf(out, ",\"transactions\":%llu,\"transactionsPerSec\":%.3f", c->transactions,
            seconds > 0 ? (double)c->transactions / seconds : 0);
  else
    fprintf(out, ",\"transactions\":null,\"transactionsPerSec\":null");
  fprintf(out, ",\"hang\":%s", c->hang ? "true" : "false");
  fprintf(out, ",\"stalls\":{\"thresholdMs\":%.0f,\"count\":%llu,\"buckets\":{", STALL_MS,
          c->stall_count);
  for (int b = 0; b < BUCKETS; b++)
    fprintf(out, "%s\"%s\":%llu", b ? "," : "", bucket_names[b], c->buckets[b]);
  fprintf(out, "},\"longestGapMs\":%.3f,\"stalledMs\":%.3f}", c->longest_gap_ms,
          c->stalled_ms);
  print_counter(out, "retransmits", retrans0, retrans1);
  print_counter(out, "delayedAcks", delack0, delack1);
  fputs(",\"kernel\":", out);
  json_string(out, release);
  fprintf(out, ",\"loMtu\":");
  int lo = lo_mtu_get();
  if (lo > 0) fprintf(out, "%d", lo); else fputs("null", out);
  fprintf(out, ",\"rcvMss\":");
  if (mss > 0) fprintf(out, "%d", mss); else fputs("null", out);
  fprintf(out, ",\"mtuSet\":%s,\"mtuReason\":", g_mtu.set ? "true" : "false");
  json_string(out, g_mtu.reason);

  fprintf(out, ",\"options\":{\"bytes\":");
  if (o->bytes) fprintf(out, "%llu", o->bytes); else fputs("null", out);
  fprintf(out, ",\"duration\":");
  if (o->duration > 0) fprintf(out, "%g", o->duration); else fputs("null", out);
  fprintf(out,
          ",\"responseSize\":%llu,\"requestSize\":%llu,\"chunk\":%llu,\"spliceLen\":\"%s\""
          ",\"more\":\"%s\",\"source\":\"%s\",\"ipv6\":%s,\"port\":%d,\"mtu\":",
          o->response_size, o->request_size, o->chunk, splice_len_names[o->splice_len],
          more_names[o->more_used], source_names[o->source], o->ipv6 ? "true" : "false", port);
  if (o->mtu) fprintf(out, "%ld", o->mtu); else fputs("null", out);
  fprintf(out, ",\"timeout\":%g", o->timeout);
  if (o->stop_sending_after) fprintf(out, ",\"testStopSendingAfter\":%llu", o->stop_sending_after);
  fputs("}}\n", out);
  fflush(out);
}

int main(int argc, char **argv) {
  struct options o;
  parse_args(argc, argv, &o);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_watchdog;
  sigaction(SIGALRM, &sa, NULL);
  sa.sa_handler = on_terminate;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  apply_mtu(o.mtu);
  int port = 0;
  int listen_fd = make_listener(&o, &port);

  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    say("fork: %s", strerror(errno));
    restore_mtu();
    exit(EXIT_OTHER);
  }
  if (pid == 0) {
    signal(SIGALRM, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    serve(listen_fd, &o);
    exit(0);
  }
  g_server_pid = pid;
  close(listen_fd);

  struct client c;
  memset(&c, 0, sizeof c);
  c.o = &o;
  c.buf = malloc(RECV_BUF);
  if (!c.buf) {
    kill_server();
    restore_mtu();
    exit(EXIT_OTHER);
  }
  long long retrans0 = retrans_segs(), delack0 = delayed_acks();
  arm_watchdog(&o);
  c.sock = connect_client(&o, port);
  if (c.sock < 0) {
    say("connect to port %d: %s", port, strerror(errno));
    kill_server();
    restore_mtu();
    exit(EXIT_SOCKET);
  }
  run_client(&c);
  alarm(0);
  /* The receiver's estimate of the segment size the server used: shows what --mtu did. */
  struct tcp_info info;
  socklen_t info_len = sizeof info;
  int mss = 0;
  if (getsockopt(c.sock, IPPROTO_TCP, TCP_INFO, &info, &info_len) == 0)
    mss = (int)info.tcpi_rcv_mss;
  kill_server();
  close(c.sock);
  long long retrans1 = retrans_segs(), delack1 = delayed_acks();
  report(&c, &o, port, mss, retrans0, retrans1, delack0, delack1);
  restore_mtu();
  return 0;
}
