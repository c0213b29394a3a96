package dev.metropolis.bench.system;

import com.google.protobuf.ByteString;
import dev.metropolis.api.common.NodeLabels;
import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.common.NodeStatus;
import dev.metropolis.api.common.NodeStorageSecurity;
import dev.metropolis.api.common.Version;
import dev.metropolis.api.curator.CommitNodeRequest;
import dev.metropolis.api.curator.CommitNodeResponse;
import dev.metropolis.api.curator.CuratorGrpc;
import dev.metropolis.api.curator.CuratorLocalGrpc;
import dev.metropolis.api.curator.GetCACertificateRequest;
import dev.metropolis.api.curator.RegisterNodeRequest;
import dev.metropolis.api.curator.UpdateNodeStatusRequest;
import dev.metropolis.api.management.ApproveNodeRequest;
import dev.metropolis.api.management.GetNodesRequest;
import dev.metropolis.api.management.GetRegisterTicketRequest;
import dev.metropolis.api.management.ManagementGrpc;
import dev.metropolis.api.management.Node;
import dev.metropolis.launch.InsecureOwnerKey;
import dev.metropolis.launch.LocalCluster;
import dev.metropolis.launch.NodeParametersFiles;
import dev.metropolis.metroctl.client.ClusterClient;
import dev.metropolis.metroctl.client.ConfigDir;
import dev.metropolis.metroctl.client.Endpoint;
import dev.metropolis.metroctl.output.NodeView;
import dev.metropolis.osbase.pki.Certificates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.osbase.pki.Pem;
import dev.metropolis.rpc.RpcChannelBuilder;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Curator membership at scale against ONE real node (node process + etcd, as {@link OneNodeBench}
 * starts it): simulates nodes in this JVM that register, get approved by the owner, commit and
 * report a status, all through the real RPCs over real mutual TLS, and measures each step; then
 * measures Management.GetNodes at 1 node, at {@code first} nodes and at {@code total} nodes.
 *
 * <p>Simulated nodes are cheap on the client side (two Ed25519 key pairs, two TLS connections) and
 * never heartbeat, so once the leader's tenure passes 10 s they show HEARTBEAT_TIMEOUT: health is
 * still computed for each of them, as for real nodes.
 *
 * <p>The node does not report server-side handling time, so GetNodes is measured from the client
 * over loopback: the whole stream (an upper bound of server time) and the time to the first
 * message. The handler reads and converts every node before it sends the first one, so the latter
 * is server work plus one round trip; a trivial RPC (GetCACertificate: one TLS request and one etcd
 * read) is timed interleaved with it as the round-trip baseline, which also makes runs on noisy
 * machines comparable. GetNodes runs with the blocking stub and, without a filter, also with an
 * async stub that requests every message up front: the blocking iterator asks the transport thread
 * for one message at a time, which at 1,000 nodes costs more than the server. It also runs through
 * metroctl's own client library ({@code ClusterClient.getNodes} on the channel metroctl builds),
 * and the nodes are rendered as metroctl's {@code node describe} table, to see what the CLI adds.
 *
 * <p>Results: docs/benchmarks.md, "Curator at scale". Run (after {@code mvn -B -q package
 * -DskipTests -pl bench,node -am}):
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -Dmetropolis.root=$PWD \
 *   -cp bench/target/benchmarks.jar dev.metropolis.bench.system.CuratorScaleBench \
 *   [--first=200] [--total=1000] [--rounds=20] [--warmup=5] [--concurrency=8] \
 *   [--first-concurrency=1]
 * </pre>
 */
public final class CuratorScaleBench {
  private CuratorScaleBench() {}

  private static final int CURATOR_PORT = 7835;
  private static final Duration RPC_DEADLINE = Duration.ofSeconds(30);

  /** Command-line settings. */
  record Options(
      int first, int total, int rounds, int warmup, int concurrency, int firstConcurrency) {
    static Options parse(String[] argv) {
      Map<String, Integer> v = new LinkedHashMap<>();
      v.put("first", 200);
      v.put("total", 1000);
      v.put("rounds", 20);
      v.put("warmup", 5);
      v.put("concurrency", 8);
      v.put("first-concurrency", 1);
      for (String a : argv) {
        int eq = a.indexOf('=');
        String k = a.startsWith("--") && eq > 2 ? a.substring(2, eq) : null;
        if (k == null || !v.containsKey(k)) {
          throw new IllegalArgumentException(
              "unknown argument " + a + "; known: --" + String.join("=N, --", v.keySet()) + "=N");
        }
        v.put(k, Integer.parseInt(a.substring(eq + 1)));
      }
      Options o =
          new Options(
              v.get("first"),
              v.get("total"),
              v.get("rounds"),
              v.get("warmup"),
              v.get("concurrency"),
              v.get("first-concurrency"));
      if (o.first < 1 || o.total < o.first || o.rounds < 1 || o.warmup < 0) {
        throw new IllegalArgumentException("need 1 <= first <= total, rounds >= 1: " + o);
      }
      if (o.concurrency < 1 || o.firstConcurrency < 1) {
        throw new IllegalArgumentException("concurrency must be at least 1: " + o);
      }
      return o;
    }
  }

  /** The timed steps of one simulated node's enrolment. */
  enum Step {
    CONNECT("connect (TLS, self-signed)"),
    REGISTER("RegisterNode"),
    APPROVE("ApproveNode (owner)"),
    COMMIT("CommitNode"),
    STATUS("UpdateNodeStatus (new TLS conn.)");

    final String label;

    Step(String label) {
      this.label = label;
    }
  }

  /** Per-step durations of one enrolment phase, in nanoseconds. */
  static final class Phase {
    final String name;
    final int concurrency;
    final Map<Step, List<Long>> times = new EnumMap<>(Step.class);
    final List<Long> wholeNode = Collections.synchronizedList(new ArrayList<>());
    long wallNanos;
    int nodes;

    Phase(String name, int concurrency) {
      this.name = name;
      this.concurrency = concurrency;
      for (Step s : Step.values()) {
        times.put(s, Collections.synchronizedList(new ArrayList<>()));
      }
    }
  }

  /** Latencies of one kind of call at one cluster size, in nanoseconds. */
  record Calls(String call, int nodes, List<Long> whole, List<Long> firstMessage) {}

  /** What every simulated node needs: the cluster's CA, ticket and the owner's channel. */
  record Target(
      String address,
      X509Certificate ca,
      ByteString ticket,
      ManagedChannel owner,
      ClusterClient metroctl) {}

  /** metroctl's own client library, configured as after {@code cluster takeownership}. */
  private static ClusterClient metroctlClient(LocalCluster cluster) throws Exception {
    ConfigDir dir = new ConfigDir(Files.createTempDirectory(cluster.directory(), "metroctl-"));
    dir.writeOwnerKey(InsecureOwnerKey.keyPair().getPrivate());
    dir.writeOwnerCertificate(cluster.ownerCertificate());
    dir.writeCaCertificate(cluster.ca());
    return new ClusterClient(
        new ClusterClient.Options(
            dir,
            List.of(new Endpoint(cluster.address(0), CURATOR_PORT)),
            Optional.empty(),
            false,
            (lines, question) -> Optional.empty(),
            line -> {}));
  }

  public static void main(String[] argv) throws Exception {
    Options o = Options.parse(argv);
    Path root = Path.of(System.getProperty("metropolis.root", ".")).toAbsolutePath().normalize();
    Path nodeJar = root.resolve("node/target/metropolis-node.jar");
    say("options " + o);
    String loadBefore = loadAverage();
    say("bootstrapping one node from " + nodeJar);
    LocalCluster cluster =
        LocalCluster.bootstrap(nodeJar, NodeParametersFiles.testConfiguration("bench.test"));
    // Ctrl-C or SIGTERM must not leave a node and its etcd behind; closing twice is harmless.
    Thread hook = new Thread(cluster::close, "bench-cluster-close");
    Runtime.getRuntime().addShutdownHook(hook);
    ManagedChannel owner = null;
    try {
      awaitOwner(cluster, Duration.ofSeconds(60));
      cluster.awaitNodes(1, Duration.ofSeconds(60));
      owner = cluster.ownerChannel(0);
      ByteString ticket =
          ManagementGrpc.newBlockingStub(owner)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .getRegisterTicket(GetRegisterTicketRequest.getDefaultInstance())
              .getTicket();
      Target t =
          new Target(cluster.address(0), cluster.ca(), ticket, owner, metroctlClient(cluster));
      ManagedChannel local =
          RpcChannelBuilder.forAddress(t.address(), CURATOR_PORT).verifyNode(t.ca()).build();
      List<Calls> calls = new ArrayList<>();
      List<Phase> phases = new ArrayList<>();
      try {
        calls.addAll(measureGetNodes(t, local, 1, o));
        AtomicInteger next = new AtomicInteger(1);
        phases.add(enrol(t, "to " + o.first(), o.first() - 1, o.firstConcurrency(), next));
        calls.addAll(measureGetNodes(t, local, o.first(), o));
        if (o.total() > o.first()) {
          phases.add(enrol(t, "to " + o.total(), o.total() - o.first(), o.concurrency(), next));
          calls.addAll(measureGetNodes(t, local, o.total(), o));
        }
      } finally {
        local.shutdownNow();
        t.metroctl().close();
      }
      long nodePid = cluster.node(0).pid().orElseThrow();
      long nodeRss = OneNodeBench.rssKiB(nodePid);
      long etcdRss = 0;
      for (ProcessHandle child : ProcessHandle.of(nodePid).orElseThrow().children().toList()) {
        etcdRss += OneNodeBench.rssKiB(child.pid());
      }
      report(o, phases, calls, nodeRss, etcdRss);
      // Other work on the machine skews every number: say how busy it was.
      System.out.printf("Load average before: %s; after: %s%n", loadBefore, loadAverage());
    } finally {
      if (owner != null) {
        owner.shutdownNow();
      }
      say("stopping the node and its etcd");
      cluster.close();
      Runtime.getRuntime().removeShutdownHook(hook);
    }
  }

  /** Escrow answers UNAVAILABLE until the curator leads: retry until it does. */
  private static void awaitOwner(LocalCluster cluster, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        cluster.ownerCertificate();
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) {
          throw e;
        }
      }
      Thread.sleep(500);
    }
  }

  /** Enrols {@code count} simulated nodes, {@code concurrency} at a time. */
  private static Phase enrol(Target t, String name, int count, int concurrency, AtomicInteger next)
      throws Exception {
    Phase p = new Phase(name, concurrency);
    say("enrolling " + count + " simulated nodes, " + concurrency + " in flight");
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    try {
      List<Future<?>> done = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int i = 0; i < count; i++) {
        int index = next.getAndIncrement();
        done.add(pool.submit(() -> enrolOne(t, index, p)));
      }
      for (Future<?> f : done) {
        f.get();
      }
      p.wallNanos = System.nanoTime() - t0;
      p.nodes = count;
    } finally {
      pool.shutdownNow();
    }
    return p;
  }

  /** One simulated node: register, owner approval, commit, status, as a real node does it. */
  private static Void enrolOne(Target t, int index, Phase p) throws Exception {
    KeyPair nodeKey = Ed25519.generate();
    KeyPair joinKey = Ed25519.generate();
    String id = NodeId.of(nodeKey.getPublic());
    long start = System.nanoTime();
    ManagedChannel ch =
        RpcChannelBuilder.forAddress(t.address(), CURATOR_PORT)
            .ephemeralCredentials(nodeKey)
            .verifyNode(t.ca())
            .build();
    CommitNodeResponse committed;
    try {
      long s = System.nanoTime();
      awaitReady(ch);
      p.times.get(Step.CONNECT).add(System.nanoTime() - s);

      var curator = CuratorGrpc.newBlockingStub(ch);
      s = System.nanoTime();
      curator
          .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .registerNode(
              RegisterNodeRequest.newBuilder()
                  .setRegisterTicket(t.ticket())
                  .setJoinKey(ByteString.copyFrom(Ed25519.rawPublicKey(joinKey.getPublic())))
                  .setHaveLocalTpm(false)
                  .setLabels(
                      NodeLabels.newBuilder()
                          .addPairs(
                              NodeLabels.Pair.newBuilder()
                                  .setKey("bench-node")
                                  .setValue(Integer.toString(index))))
                  .build());
      p.times.get(Step.REGISTER).add(System.nanoTime() - s);

      s = System.nanoTime();
      ManagementGrpc.newBlockingStub(t.owner())
          .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .approveNode(
              ApproveNodeRequest.newBuilder()
                  .setPubkey(ByteString.copyFrom(Ed25519.rawPublicKey(nodeKey.getPublic())))
                  .build());
      p.times.get(Step.APPROVE).add(System.nanoTime() - s);

      s = System.nanoTime();
      // The test configuration's storage policy is NEEDS_INSECURE: no cluster unlock key.
      committed =
          curator
              .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
              .commitNode(
                  CommitNodeRequest.newBuilder()
                      .setStorageSecurity(NodeStorageSecurity.NODE_STORAGE_SECURITY_INSECURE)
                      .build());
      p.times.get(Step.COMMIT).add(System.nanoTime() - s);
    } finally {
      ch.shutdownNow();
    }
    X509Certificate cert = Pem.parseCertificate(committed.getNodeCertificate().toByteArray());
    if (!Certificates.isSignedBy(cert, t.ca())
        || !NodeId.matches(id, Certificates.ed25519PublicKey(cert))) {
      throw new IllegalStateException("node " + index + " got a certificate that is not its own");
    }

    // A real node reports its status right after committing; without it every record would be
    // smaller than in a real cluster. The address is in 198.18.0.0/15 (benchmarking, RFC 2544).
    ManagedChannel asNode =
        RpcChannelBuilder.forAddress(t.address(), CURATOR_PORT)
            .clusterCredentials(cert, nodeKey.getPrivate())
            .verifyNode(t.ca())
            .build();
    try {
      long s = System.nanoTime();
      CuratorGrpc.newBlockingStub(asNode)
          .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .updateNodeStatus(
              UpdateNodeStatusRequest.newBuilder()
                  .setNodeId(id)
                  .setStatus(
                      NodeStatus.newBuilder()
                          .setExternalAddress("198.18." + (index >> 8) + "." + (index & 0xff))
                          .setVersion(
                              Version.newBuilder()
                                  .setRelease(Version.Release.newBuilder().setMinor(1))
                                  .setGitInformation(
                                      Version.GitInformation.newBuilder()
                                          .setCommitHash("0".repeat(40))
                                          .setBuildTreeState(
                                              Version.GitInformation.BuildTreeState
                                                  .BUILD_TREE_STATE_CLEAN)))
                          .setBootId(ByteString.copyFrom(new byte[16])))
                  .build());
      p.times.get(Step.STATUS).add(System.nanoTime() - s);
    } finally {
      asNode.shutdownNow();
    }
    p.wholeNode.add(System.nanoTime() - start);
    return null;
  }

  /** Connects eagerly, so the TLS handshake is timed apart from the first call. */
  private static void awaitReady(ManagedChannel ch) throws InterruptedException {
    long deadline = System.nanoTime() + RPC_DEADLINE.toNanos();
    ConnectivityState s = ch.getState(true);
    while (s != ConnectivityState.READY) {
      if (s == ConnectivityState.TRANSIENT_FAILURE || s == ConnectivityState.SHUTDOWN) {
        throw new IllegalStateException("channel to the curator is " + s);
      }
      CountDownLatch changed = new CountDownLatch(1);
      ch.notifyWhenStateChanged(s, changed::countDown);
      if (!changed.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        throw new IllegalStateException("channel to the curator not ready in " + RPC_DEADLINE);
      }
      s = ch.getState(true);
    }
  }

  /**
   * GetNodes without and with a CEL filter, interleaved with the baseline call, after a warm-up.
   */
  private static List<Calls> measureGetNodes(
      Target t, ManagedChannel local, int expected, Options o) {
    say("timing GetNodes at " + expected + " nodes: " + o.rounds() + " interleaved rounds");
    var mgmt = ManagementGrpc.newBlockingStub(t.owner());
    var localStub = CuratorLocalGrpc.newBlockingStub(local);
    GetNodesRequest all = GetNodesRequest.getDefaultInstance();
    GetNodesRequest filtered =
        GetNodesRequest.newBuilder().setFilter("node.state == NODE_STATE_UP").build();
    Calls baseline =
        new Calls("baseline: GetCACertificate", expected, new ArrayList<>(), new ArrayList<>());
    Calls plain = new Calls("GetNodes", expected, new ArrayList<>(), new ArrayList<>());
    Calls cel =
        new Calls(
            "GetNodes, filter `node.state == NODE_STATE_UP`",
            expected,
            new ArrayList<>(),
            new ArrayList<>());
    Calls async =
        new Calls(
            "GetNodes, async client, all messages requested up front",
            expected,
            new ArrayList<>(),
            new ArrayList<>());
    Calls viaMetroctl =
        new Calls(
            "GetNodes, metroctl's ClusterClient.getNodes (its channel)",
            expected,
            new ArrayList<>(),
            new ArrayList<>());
    Calls table =
        new Calls(
            "metroctl output: render the nodes as the `node describe` table (no RPC)",
            expected,
            new ArrayList<>(),
            new ArrayList<>());
    // The first stage also warms up both JVMs (the node runs C1 only), so it gets longer.
    int warmup = expected == 1 ? o.warmup() * 10 : o.warmup();
    for (int round = -warmup; round < o.rounds(); round++) {
      boolean keep = round >= 0;
      long s = System.nanoTime();
      localStub
          .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .getCACertificate(GetCACertificateRequest.getDefaultInstance());
      if (keep) {
        baseline.whole().add(System.nanoTime() - s);
      }
      for (boolean useFilter : new boolean[] {false, true}) {
        Calls c = useFilter ? cel : plain;
        s = System.nanoTime();
        Iterator<Node> it =
            mgmt.withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .getNodes(useFilter ? filtered : all);
        long first = 0;
        int n = 0;
        while (it.hasNext()) {
          Node node = it.next();
          if (n++ == 0) {
            first = System.nanoTime() - s;
          }
          check(node);
        }
        long whole = System.nanoTime() - s;
        checkCount(n, expected);
        if (keep) {
          c.whole().add(whole);
          c.firstMessage().add(first);
        }
      }
      long[] r = asyncGetNodes(t.owner(), all, expected);
      if (keep) {
        async.whole().add(r[0]);
        async.firstMessage().add(r[1]);
      }
      // metroctl connects and finds the leader first; only the GetNodes call itself is timed.
      List<Node> listed = new ArrayList<>();
      long viaClient =
          t.metroctl()
              .asOwner(ch -> {
                long start = System.nanoTime();
                listed.addAll(t.metroctl().getNodes(ch, ""));
                return System.nanoTime() - start;
              });
      checkCount(listed.size(), expected);
      listed.forEach(CuratorScaleBench::check);
      s = System.nanoTime();
      String rendered = NodeView.table(listed).render();
      long render = System.nanoTime() - s;
      if (rendered.isEmpty()) {
        throw new IllegalStateException("empty table");
      }
      if (keep) {
        viaMetroctl.whole().add(viaClient);
        table.whole().add(render);
      }
    }
    return List.of(baseline, plain, cel, async, viaMetroctl, table);
  }

  /**
   * GetNodes without the blocking iterator, which asks the transport thread for one message at a
   * time: closer to what the server and the transport cost. Returns {whole, first message} in ns.
   */
  private static long[] asyncGetNodes(ManagedChannel ch, GetNodesRequest req, int expected) {
    CompletableFuture<long[]> done = new CompletableFuture<>();
    long s = System.nanoTime();
    ManagementGrpc.newStub(ch)
        .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .getNodes(
            req,
            new ClientResponseObserver<GetNodesRequest, Node>() {
              long first;
              int n;

              @Override
              public void beforeStart(ClientCallStreamObserver<GetNodesRequest> call) {
                call.disableAutoRequestWithInitial(Integer.MAX_VALUE);
              }

              @Override
              public void onNext(Node node) {
                if (n++ == 0) {
                  first = System.nanoTime() - s;
                }
                check(node);
              }

              @Override
              public void onError(Throwable t) {
                done.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                try {
                  checkCount(n, expected);
                  done.complete(new long[] {System.nanoTime() - s, first});
                } catch (RuntimeException e) {
                  done.completeExceptionally(e);
                }
              }
            });
    return done.join();
  }

  private static void check(Node node) {
    if (node.getState() != NodeState.NODE_STATE_UP) {
      throw new IllegalStateException("node " + node.getId() + " is " + node.getState());
    }
  }

  private static void checkCount(int n, int expected) {
    if (n != expected) {
      throw new IllegalStateException("GetNodes returned " + n + " nodes, want " + expected);
    }
  }

  private static void report(
      Options o, List<Phase> phases, List<Calls> calls, long nodeRss, long etcdRss) {
    System.out.println();
    System.out.printf(
        "Curator at scale, %s, %d cores, %s; node JVM flags as in launch/NodeProcess%n",
        LocalDate.now(ZoneOffset.UTC),
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.arch"));
    System.out.println();
    System.out.println(
        "| enrolment | nodes | in flight | step | median ms | p90 ms | max ms | nodes/s |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    for (Phase p : phases) {
      double rate = p.nodes / (p.wallNanos / 1e9);
      for (Step s : Step.values()) {
        row(p, s.label, p.times.get(s), "");
      }
      row(p, "**whole node**", p.wholeNode, String.format("%.1f", rate));
    }
    System.out.println();
    System.out.println(
        "| call | nodes | median ms | p90 ms | min ms | first message median ms | first message"
            + " p90 ms |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (Calls c : calls) {
      List<Long> w = sorted(c.whole());
      List<Long> f = sorted(c.firstMessage());
      System.out.printf(
          "| %s | %d | %s | %s | %s | %s | %s |%n",
          c.call(),
          c.nodes(),
          ms(median(w)),
          ms(p90(w)),
          ms(w.getFirst()),
          f.isEmpty() ? "-" : ms(median(f)),
          f.isEmpty() ? "-" : ms(p90(f)));
    }
    System.out.println();
    System.out.printf(
        "RSS at %d nodes: node core %d MiB + etcd %d MiB%n",
        o.total(), nodeRss / 1024, etcdRss / 1024);
  }

  private static void row(Phase p, String step, List<Long> times, String rate) {
    List<Long> t = sorted(times);
    System.out.printf(
        "| %s | %d | %d | %s | %s | %s | %s | %s |%n",
        p.name, p.nodes, p.concurrency, step, ms(median(t)), ms(p90(t)), ms(t.getLast()), rate);
  }

  private static List<Long> sorted(List<Long> l) {
    List<Long> s;
    synchronized (l) {
      s = new ArrayList<>(l);
    }
    s.sort(null);
    return s;
  }

  private static long median(List<Long> sorted) {
    return sorted.get(sorted.size() / 2);
  }

  /** Nearest-rank 90th percentile. */
  private static long p90(List<Long> sorted) {
    return sorted.get(Math.max(0, (int) Math.ceil(sorted.size() * 0.9) - 1));
  }

  private static String ms(long nanos) {
    return String.format("%.1f", nanos / 1e6);
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ", -1);
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static void say(String s) {
    System.err.println("bench: " + s);
  }
}
