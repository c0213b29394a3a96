package dev.metropolis.bench.system;

import dev.metropolis.launch.Directories;
import dev.metropolis.launch.NodeProcess;
import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.Pem;
import dev.metropolis.osbase.testing.TestEtcd;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The Kubernetes API server under open-loop load, against raw etcd in the same run.
 *
 * <p>One real etcd ({@link TestEtcd}); the API server on it in a separate JVM ({@link
 * ApiServerMain}, with the node's JVM flags, since it will run inside the node core process) so
 * that the load generator's allocation, GC and JIT do not count as server time; this JVM is the
 * load generator: the JDK HTTP client over HTTP/2 with an owner client certificate, and a jetcd
 * client for the baseline. Each operation runs at each rate: requests are sent at fixed intervals
 * whatever the answers do, and latency is taken from the scheduled send time, so a server that
 * falls behind shows its queueing (no coordinated omission). Each phase starts with a warm-up whose
 * requests are not recorded. For each phase the CPU time the API server and etcd processes used per
 * request is recorded too: the cost of a request, not only its latency.
 *
 * <p>Operations, each paired with the raw etcd operation it wraps: create a config map (etcd put of
 * the same JSON), get one (etcd get), list a namespace of 100 (etcd range of 100 such values),
 * watch: time from the scheduled create to its ADDED event at a watcher (etcd put to its watch
 * event).
 *
 * <p>Run: {@code ./metropolis bench-system apiserver [SECONDS] [--warmup=S] [--rates=50,500]}
 * (SECONDS measured per phase, default 10).
 */
public final class ApiServerBench {
  private static final int LIST_SIZE = 100;

  /**
   * HTTP/2 connections of the load generator, and requests in flight on each (beyond about 100 the
   * JDK client fails them).
   */
  private static final int CONNECTIONS = 4;

  private static final int STREAMS = 100;
  private static final String VALUE = "x".repeat(64);
  private static final Pattern WATCHED = Pattern.compile("\"name\":\"w-(\\d+)\"");

  private ApiServerBench() {}

  /** One operation: {@code send(i)} starts request i and completes when it is answered. */
  private interface Op {
    CompletableFuture<?> send(int i);
  }

  /** Latencies (ns) of the recorded requests, failures, and CPU ns per request of server, etcd. */
  @SuppressWarnings("ArrayRecordComponent") // a private result, never compared
  record Result(long[] latencies, int failures, double serverCpu, double etcdCpu) {
    double percentile(double p) {
      if (latencies.length == 0) {
        return Double.NaN;
      }
      int idx = (int) Math.ceil(p * latencies.length) - 1;
      return latencies[Math.max(0, Math.min(latencies.length - 1, idx))] / 1e6;
    }
  }

  public static void main(String[] argv) throws Exception {
    int seconds = 10;
    int warmup = 3;
    int[] rates = {50, 500};
    try {
      for (String a : argv) {
        if (a.startsWith("--warmup=")) {
          warmup = Integer.parseInt(a.substring("--warmup=".length()));
        } else if (a.startsWith("--rates=")) {
          rates =
              Arrays.stream(a.substring("--rates=".length()).split(","))
                  .mapToInt(Integer::parseInt)
                  .toArray();
        } else if (a.matches("\\d+")) {
          seconds = Integer.parseInt(a);
        } else {
          System.err.println(
              "usage: ApiServerBench [SECONDS] [--warmup=SECONDS] [--rates=R1,R2,...]");
          System.exit(2);
        }
      }
    } catch (NumberFormatException e) {
      System.err.println("not a number: " + e.getMessage());
      System.exit(2);
    }
    if (seconds < 1
        || warmup < 0
        || rates.length == 0
        || Arrays.stream(rates).anyMatch(r -> r < 1)) {
      System.err.println("SECONDS must be ≥ 1, warm-up ≥ 0, rates ≥ 1");
      System.exit(2);
    }
    run(seconds, warmup, rates);
  }

  static void run(int seconds, int warmup, int[] rates) throws Exception {
    String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
    Path dir = Files.createTempDirectory("apiserver-bench-");
    try (TestEtcd etcd = TestEtcd.start();
        Client raw = etcd.client()) {
      KeyPair caKey = Ed25519.generate();
      X509Certificate ca = CertificateTemplates.clusterCa(caKey);
      KeyPair serverKey = Ed25519.generate();
      X509Certificate serverCert =
          CertificateTemplates.peer(
              ca,
              caKey.getPrivate(),
              serverKey.getPublic(),
              "kubernetes",
              List.of(InetAddress.getLoopbackAddress()));
      Files.writeString(dir.resolve("ca.pem"), Pem.encodeCertificate(ca));
      Files.writeString(dir.resolve("server.pem"), Pem.encodeCertificate(serverCert));
      Files.writeString(
          dir.resolve("server-key.pem"), Pem.encodePrivateKey(serverKey.getPrivate()));
      Process server = startServer(etcd.endpoint(), dir);
      try {
        int port = readPort(server);
        ProcessHandle etcdProcess =
            ProcessHandle.current()
                .children()
                .filter(p -> p.pid() != server.pid())
                .findFirst()
                .orElseThrow();
        Bench b =
            new Bench(
                "https://127.0.0.1:" + port,
                new HttpPool(CONNECTIONS, STREAMS, () -> client(ca, caKey)),
                client(ca, caKey),
                raw,
                server.toHandle(),
                etcdProcess);
        b.setUp();
        say("warming up every operation for " + warmup + " s");
        for (String op : List.of("create", "get", "list", "watch")) {
          b.phase(op, false, 100, warmup, 0);
        }
        List<String> rows = new ArrayList<>();
        for (String op : List.of("create", "get", "list", "watch")) {
          for (int rate : rates) {
            Result r0 = b.phase(op, true, rate, warmup, seconds);
            Result r1 = b.phase(op, false, rate, warmup, seconds);
            rows.add(row("etcd " + b.rawName(op), rate, r0, null));
            rows.add(row("apiserver " + op, rate, r1, r0));
          }
        }
        b.close();
        System.out.println();
        System.out.println(
            "| op | rate/s | n | failed | p50 ms | p99 ms | max ms | p50 ratio | p99 ratio |"
                + " apiserver CPU ms/req | etcd CPU ms/req |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
        System.out.printf(
            Locale.ROOT,
            "%nload average before the run: %s; after: %s%n",
            loadBefore,
            Files.readString(Path.of("/proc/loadavg")).trim());
      } finally {
        server.getOutputStream().close(); // ApiServerMain stops when its stdin closes
        if (!server.waitFor(10, TimeUnit.SECONDS)) {
          server.destroy();
        }
        if (!server.waitFor(10, TimeUnit.SECONDS)) {
          server.destroyForcibly();
          server.waitFor();
        }
      }
    } finally {
      Directories.deleteTree(dir);
    }
  }

  private static String row(String name, int rate, Result r, Result base) {
    return String.format(
        Locale.ROOT,
        "| %s | %d | %d | %d | %.2f | %.2f | %.2f | %s | %s | %s | %.2f |",
        name,
        rate,
        r.latencies().length,
        r.failures(),
        r.percentile(0.5),
        r.percentile(0.99),
        r.percentile(1.0),
        base == null
            ? ""
            : String.format(Locale.ROOT, "%.1f", r.percentile(0.5) / base.percentile(0.5)),
        base == null
            ? ""
            : String.format(Locale.ROOT, "%.1f", r.percentile(0.99) / base.percentile(0.99)),
        base == null ? "" : String.format(Locale.ROOT, "%.2f", r.serverCpu() / 1e6),
        r.etcdCpu() / 1e6);
  }

  /** The load generator's state: its clients, the watchers, and what each operation sends. */
  private static final class Bench {
    private final String url;
    private final HttpPool pool;
    private final HttpClient watchClient;
    private final Client raw;
    private final ProcessHandle server;
    private final ProcessHandle etcd;
    private final Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
    private final List<AutoCloseable> watchers = new ArrayList<>();
    private ByteSequence storedConfigMap;
    private int phase;

    Bench(
        String url,
        HttpPool pool,
        HttpClient watchClient,
        Client raw,
        ProcessHandle server,
        ProcessHandle etcd) {
      this.url = url;
      this.pool = pool;
      this.watchClient = watchClient;
      this.raw = raw;
      this.server = server;
      this.etcd = etcd;
    }

    String rawName(String op) {
      return switch (op) {
        case "create" -> "put";
        case "get" -> "get";
        case "list" -> "range of " + LIST_SIZE;
        case "watch" -> "put → watch event";
        default -> throw new IllegalArgumentException(op);
      };
    }

    /** Namespaces, the object to get, the namespace to list, both watchers. */
    void setUp() throws Exception {
      for (String ns : List.of("bench-create", "bench-get", "bench-list", "bench-watch")) {
        check(
            send(post("/api/v1/namespaces", "{\"metadata\":{\"name\":\"" + ns + "\"}}")).join(),
            201);
      }
      check(send(post(cms("bench-get"), configMap("target"))).join(), 201);
      for (int i = 0; i < LIST_SIZE; i++) {
        check(send(post(cms("bench-list"), configMap("item-" + i))).join(), 201);
      }
      // The raw baseline stores exactly what the API server stored for a config map.
      storedConfigMap =
          raw.getKVClient()
              .get(bytes("/registry/configmaps/bench-get/target"))
              .get()
              .getKvs()
              .getFirst()
              .getValue();
      for (int i = 0; i < LIST_SIZE; i++) {
        raw.getKVClient().put(bytes("/bench/list/item-" + i), storedConfigMap).get();
      }
      raw.getKVClient().put(bytes("/bench/get/target"), storedConfigMap).get();

      String rv = String.valueOf(raw.getKVClient().get(bytes("/")).get().getHeader().getRevision());
      HttpResponse<java.io.InputStream> watch =
          watchClient.send(
              request(cms("bench-watch") + "?watch=true&resourceVersion=" + rv).GET().build(),
              HttpResponse.BodyHandlers.ofInputStream());
      check(watch, 200);
      Thread reader =
          Thread.ofPlatform()
              .daemon()
              .name("apiserver-watch")
              .start(() -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(watch.body(), StandardCharsets.UTF_8))) {
                  for (String line; (line = r.readLine()) != null; ) {
                    Matcher m = WATCHED.matcher(line);
                    if (line.contains("\"ADDED\"") && m.find()) {
                      arrived("api-" + m.group(1));
                    }
                  }
                } catch (IOException e) {
                  // closed at the end of the run
                }
              });
      watchers.add(() -> watch.body().close());
      watchers.add(reader::interrupt);
      Watch.Watcher w =
          raw.getWatchClient()
              .watch(
                  bytes("/bench/watch/"),
                  WatchOption.builder().isPrefix(true).build(),
                  resp -> {
                    for (WatchEvent e : resp.getEvents()) {
                      if (e.getEventType() == WatchEvent.EventType.PUT) {
                        String key = e.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
                        arrived("raw-" + key.substring(key.lastIndexOf('/') + 1));
                      }
                    }
                  });
      watchers.add(w);
    }

    private void arrived(String id) {
      CompletableFuture<Void> f = pending.remove(id);
      if (f != null) {
        f.complete(null);
      }
    }

    /** Runs one phase: warm-up then measured seconds of {@code op} at {@code rate}. */
    Result phase(String name, boolean rawEtcd, int rate, int warmupSeconds, int seconds)
        throws InterruptedException {
      int p = ++phase;
      Op op = rawEtcd ? rawOp(name, p) : apiOp(name, p);
      say(
          String.format(
              Locale.ROOT,
              "%s %s at %d/s: %d s warm-up, %d s measured",
              rawEtcd ? "etcd" : "apiserver",
              rawEtcd ? rawName(name) : name,
              rate,
              warmupSeconds,
              seconds));
      return openLoop(op, rate, warmupSeconds, seconds);
    }

    private Op apiOp(String name, int p) {
      return switch (name) {
        case "create" ->
            i ->
                send(post(cms("bench-create"), configMap("c-" + p + "-" + i)))
                    .thenAccept(r -> check(r, 201));
        case "get" ->
            i ->
                send(request(cms("bench-get") + "/target").GET().build())
                    .thenAccept(r -> check(r, 200));
        case "list" ->
            i -> send(request(cms("bench-list")).GET().build()).thenAccept(r -> check(r, 200));
        case "watch" ->
            i -> {
              int id = p * 1_000_000 + i;
              CompletableFuture<Void> seen = new CompletableFuture<>();
              pending.put("api-" + id, seen);
              send(post(cms("bench-watch"), configMap("w-" + id)))
                  .thenAccept(r -> check(r, 201))
                  .exceptionally(e -> {
                    seen.completeExceptionally(e);
                    return null;
                  });
              return seen;
            };
        default -> throw new IllegalArgumentException(name);
      };
    }

    private Op rawOp(String name, int p) {
      var kv = raw.getKVClient();
      return switch (name) {
        case "create" -> i -> kv.put(bytes("/bench/create/c-" + p + "-" + i), storedConfigMap);
        case "get" -> i -> kv.get(bytes("/bench/get/target"));
        case "list" ->
            i ->
                kv.get(bytes("/bench/list/"), GetOption.builder().isPrefix(true).build())
                    .thenAccept(r -> {
                      if (r.getKvs().size() != LIST_SIZE) {
                        throw new IllegalStateException("range returned " + r.getKvs().size());
                      }
                    });
        case "watch" ->
            i -> {
              int id = p * 1_000_000 + i;
              CompletableFuture<Void> seen = new CompletableFuture<>();
              pending.put("raw-" + id, seen);
              kv.put(bytes("/bench/watch/" + id), storedConfigMap)
                  .exceptionally(e -> {
                    seen.completeExceptionally(e);
                    return null;
                  });
              return seen;
            };
        default -> throw new IllegalArgumentException(name);
      };
    }

    /**
     * Sends request i at start + i × interval, whether or not earlier ones were answered, and
     * records each latency from that scheduled time. Requests of the warm-up are not recorded.
     */
    private Result openLoop(Op op, int rate, int warmupSeconds, int seconds)
        throws InterruptedException {
      int warm = rate * warmupSeconds;
      int total = warm + rate * seconds;
      long interval = 1_000_000_000L / rate;
      long[] latencies = new long[total - warm];
      Arrays.fill(latencies, -1);
      AtomicInteger failures = new AtomicInteger();
      CountDownLatch done = new CountDownLatch(total);
      long serverCpu0 = 0;
      long etcdCpu0 = 0;
      long start = System.nanoTime() + 10_000_000;
      for (int i = 0; i < total; i++) {
        long at = start + i * interval;
        long wait = at - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        if (i == warm) {
          serverCpu0 = cpu(server);
          etcdCpu0 = cpu(etcd);
        }
        int n = i;
        CompletableFuture<?> f;
        try {
          f = op.send(n);
        } catch (RuntimeException e) {
          f = CompletableFuture.failedFuture(e);
        }
        var _ =
            f.whenComplete((v, e) -> {
              long latency = System.nanoTime() - at;
              if (n >= warm) {
                if (e == null) {
                  latencies[n - warm] = latency;
                } else {
                  if (failures.getAndIncrement() == 0) {
                    say("first failure: " + e);
                  }
                }
              }
              done.countDown();
            });
      }
      if (!done.await(60, TimeUnit.SECONDS)) {
        say(done.getCount() + " requests unanswered after 60 s; counted as failed");
      }
      long serverCpu = cpu(server) - serverCpu0;
      long etcdCpu = cpu(etcd) - etcdCpu0;
      long[] ok = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
      int n = Math.max(1, total - warm);
      return new Result(
          ok,
          latencies.length - ok.length,
          warm == total ? 0 : (double) serverCpu / n,
          warm == total ? 0 : (double) etcdCpu / n);
    }

    private CompletableFuture<HttpResponse<String>> send(HttpRequest r) {
      return pool.send(r);
    }

    private HttpRequest.Builder request(String path) {
      return HttpRequest.newBuilder(URI.create(url + path))
          .header("Accept", "application/json")
          .timeout(Duration.ofSeconds(30));
    }

    private HttpRequest post(String path, String body) {
      return request(path)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body))
          .build();
    }

    void close() throws Exception {
      for (AutoCloseable c : watchers) {
        c.close();
      }
      pool.close();
      watchClient.close();
    }
  }

  private static String cms(String namespace) {
    return "/api/v1/namespaces/" + namespace + "/configmaps";
  }

  private static String configMap(String name) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\""
        + name
        + "\",\"labels\":{\"app\":\"bench\"}},\"data\":{\"key\":\""
        + VALUE
        + "\"}}";
  }

  private static void check(HttpResponse<?> r, int code) {
    if (r.statusCode() != code) {
      throw new IllegalStateException(
          r.request().method() + " " + r.uri() + ": " + r.statusCode() + " " + r.body());
    }
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  /** Total CPU time of a process, in ns (user + system). */
  private static long cpu(ProcessHandle p) {
    return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  /** An HTTP/2 client presenting a fresh owner certificate and trusting only the cluster CA. */
  private static HttpClient client(X509Certificate ca, KeyPair caKey) {
    try {
      return newClient(ca, caKey);
    } catch (java.security.GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static HttpClient newClient(X509Certificate ca, KeyPair caKey)
      throws java.security.GeneralSecurityException, IOException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyPair key = Ed25519.generate();
    X509Certificate cert =
        CertificateTemplates.user(ca, caKey.getPrivate(), key.getPublic(), "owner");
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("owner", key.getPrivate(), new char[0], new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_2).build();
  }

  /** The API server in its own JVM with the node's flags, on the benchmark's class path. */
  private static Process startServer(String etcdEndpoint, Path dir) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(NodeProcess.JVM_FLAGS);
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            ApiServerMain.class.getName(),
            etcdEndpoint,
            dir.toString()));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  private static int readPort(Process server) throws IOException {
    BufferedReader r =
        new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    String line = r.readLine();
    if (line == null || !line.startsWith("port ")) {
      throw new IOException("API server did not start (first line: " + line + ")");
    }
    // Keep draining its stdout so it never blocks on a full pipe.
    Thread.ofVirtual().start(() -> r.lines().forEach(l -> {}));
    return Integer.parseInt(line.substring("port ".length()));
  }

  private static void say(String s) {
    System.err.println("bench: " + s);
  }
}
