package dev.metropolis.launch;

import com.google.protobuf.ByteString;
import dev.metropolis.api.aaa.AAAGrpc;
import dev.metropolis.api.aaa.EscrowRequest;
import dev.metropolis.api.aaa.EscrowResponse;
import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.NodeLabels;
import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.curator.CuratorGrpc;
import dev.metropolis.api.curator.CuratorLocalGrpc;
import dev.metropolis.api.curator.GetCACertificateRequest;
import dev.metropolis.api.curator.GetConsensusStatusRequest;
import dev.metropolis.api.curator.GetConsensusStatusResponse;
import dev.metropolis.api.curator.GetCurrentLeaderRequest;
import dev.metropolis.api.curator.GetCurrentLeaderResponse;
import dev.metropolis.api.management.ApproveNodeRequest;
import dev.metropolis.api.management.GetClusterInfoRequest;
import dev.metropolis.api.management.GetClusterInfoResponse;
import dev.metropolis.api.management.GetNodesRequest;
import dev.metropolis.api.management.GetRegisterTicketRequest;
import dev.metropolis.api.management.GetRegisterTicketResponse;
import dev.metropolis.api.management.ManagementGrpc;
import dev.metropolis.api.management.Node;
import dev.metropolis.api.management.UpdateNodeLabelsRequest;
import dev.metropolis.api.management.UpdateNodeRolesRequest;
import dev.metropolis.metroctl.client.ConfigDir;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.Pem;
import dev.metropolis.rpc.RpcChannelBuilder;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A cluster of hosted node processes on this host's loopback, for integration tests: each node gets
 * its own 127.42.x.y address (so runs never collide on ports), its own state directory and log
 * file. Node 0 bootstraps with the {@link InsecureOwnerKey}. Close it to stop every process and
 * delete every file it made.
 */
public final class LocalCluster implements AutoCloseable {
  private final Path dir;
  private final Path nodeJar;

  /** Copy-on-write: a stop from another thread (Ctrl-C) reads it while a launch adds nodes. */
  private final List<NodeProcess> nodes = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Set once by {@link #close}; no node starts after it (guarded by this). */
  private boolean closed;

  private final String subnet;

  /** The namespaced network nodes live in, or null for nodes on this host's loopback. */
  private final VirtualNetwork net;

  /** Addresses nodes took by DHCP, by index (virtual network only). */
  private final Map<Integer, String> leased = new ConcurrentHashMap<>();

  private X509Certificate ca;
  private X509Certificate ownerCert;

  /** Whether {@link #close} deletes {@link #dir} even though a virtual network was given. */
  private boolean ownsDirectory;

  /** Node IDs by launch index, filled in as nodes are found (from their test-node-number label). */
  private final Map<Integer, String> nodeIds = new ConcurrentHashMap<>();

  /** Memory per node (MiB) and the AOT cache policy of node JVMs. */
  private final int ramMiB;

  private final Aot aot;

  /** The memory cgroup holding every node's own one, when this process can make them (root). */
  private final java.util.Optional<Path> cgroups;

  private LocalCluster(Path dir, Path nodeJar, VirtualNetwork net, int ramMiB, Aot aot) {
    this.dir = dir;
    this.nodeJar = nodeJar;
    this.net = net;
    this.subnet = "127.42." + ThreadLocalRandom.current().nextInt(1, 255) + ".";
    this.ramMiB = ramMiB;
    this.aot = aot;
    this.cgroups = MemoryCgroup.createParent();
  }

  /** Starts node 0, bootstrapping a cluster with {@code config}, and waits until it serves. */
  public static LocalCluster bootstrap(Path nodeJar, ClusterConfiguration config) throws Exception {
    return bootstrap(nodeJar, config, null);
  }

  /**
   * Like {@link #bootstrap(Path, ClusterConfiguration)}, with nodes in the virtual network made by
   * {@code network} (which the cluster then owns and closes), or on loopback when it is null.
   */
  public static LocalCluster bootstrap(
      Path nodeJar, ClusterConfiguration config, VirtualNetwork network) throws Exception {
    return bootstrap(nodeJar, config, network, NodeProcess.Jvm.DEFAULT_RAM_MIB, Aot.USE);
  }

  private static LocalCluster bootstrap(
      Path nodeJar, ClusterConfiguration config, VirtualNetwork network, int ramMiB, Aot aot)
      throws Exception {
    LocalCluster c = prepare(nodeJar, config, network, ramMiB, aot);
    try {
      c.startNode(0);
      c.awaitCurator(0, Duration.ofSeconds(60));
      return c;
    } catch (Exception e) {
      c.close();
      throw e;
    }
  }

  /** Prepares node 0 to bootstrap a cluster with {@code config}, without starting it. */
  public static LocalCluster prepare(Path nodeJar, ClusterConfiguration config) throws Exception {
    return prepare(nodeJar, config, null, NodeProcess.Jvm.DEFAULT_RAM_MIB, Aot.USE);
  }

  private static LocalCluster prepare(
      Path nodeJar, ClusterConfiguration config, VirtualNetwork network, int ramMiB, Aot aot)
      throws Exception {
    if (!Files.exists(nodeJar)) {
      if (network != null) {
        network.close();
      }
      throw new IllegalStateException("node jar " + nodeJar + " not built");
    }
    Path dir =
        network != null ? network.directory() : Files.createTempDirectory("metropolis-cluster-");
    LocalCluster c = new LocalCluster(dir, nodeJar, network, ramMiB, aot);
    try {
      NodeProcess n0 = c.addNode();
      NodeParametersFiles.write(
          n0.spec().stateDir(),
          NodeParametersFiles.bootstrap(
              InsecureOwnerKey.keyPair().getPublic(),
              config,
              NodeLabels.newBuilder()
                  .addPairs(NodeLabels.Pair.newBuilder().setKey(NODE_NUMBER_LABEL).setValue("0"))
                  .build()));
      return c;
    } catch (Exception e) {
      c.close();
      throw e;
    }
  }

  /**
   * What {@link #launch} starts.
   *
   * @param nodes how many nodes; node 0 bootstraps, the others register
   * @param configuration the cluster configuration node 0 bootstraps with
   * @param consensusMembers indexes (besides node 0, which always is one) to make ConsensusMember
   * @param kubernetesWorkers indexes to give the KubernetesWorker role
   * @param ramMiB memory per node (see {@link NodeProcess.Jvm})
   * @param aot the node JVMs' AOT cache policy
   */
  public record Options(
      int nodes,
      ClusterConfiguration configuration,
      Set<Integer> consensusMembers,
      Set<Integer> kubernetesWorkers,
      int ramMiB,
      Aot aot) {
    public Options {
      if (nodes < 1 || nodes > 200) {
        throw new IllegalArgumentException("nodes: must be 1-200, got " + nodes);
      }
      if (ramMiB < NodeProcess.Jvm.MIN_RAM_MIB) {
        throw new IllegalArgumentException(
            "ramMiB: must be at least " + NodeProcess.Jvm.MIN_RAM_MIB + ", got " + ramMiB);
      }
      consensusMembers = Set.copyOf(consensusMembers);
      kubernetesWorkers = Set.copyOf(kubernetesWorkers);
    }

    /** Nodes of the default size, using fresh AOT caches. */
    public Options(
        int nodes,
        ClusterConfiguration configuration,
        Set<Integer> consensusMembers,
        Set<Integer> kubernetesWorkers) {
      this(
          nodes,
          configuration,
          consensusMembers,
          kubernetesWorkers,
          NodeProcess.Jvm.DEFAULT_RAM_MIB,
          Aot.USE);
    }

    public static Options of(int nodes, ClusterConfiguration configuration) {
      return new Options(nodes, configuration, Set.of(), Set.of());
    }
  }

  /**
   * A cluster of {@code o.nodes()} nodes, launched as an operator would: node 0 bootstraps; the
   * owner takes ownership, fetches the register ticket and the cluster info, and gives them to the
   * other nodes as register parameters; the launcher then approves each node once it is NEW, waits
   * until every node is UP with an address, and applies the requested roles.
   */
  public static LocalCluster launch(Path nodeJar, Options o) throws Exception {
    return launch(nodeJar, o, null, msg -> {});
  }

  /**
   * Like {@link #launch(Path, Options)}, in the virtual network {@code network} (owned by the
   * cluster from here on; null for loopback), reporting each step to {@code progress}.
   */
  public static LocalCluster launch(
      Path nodeJar, Options o, VirtualNetwork network, java.util.function.Consumer<String> progress)
      throws Exception {
    return launch(nodeJar, o, network, progress, c -> {});
  }

  /**
   * Like {@link #launch(Path, Options, VirtualNetwork, java.util.function.Consumer)}, giving the
   * cluster to {@code prepared} before any node process starts, so that another thread (a Ctrl-C
   * handler) can {@link #close} it while the launch still runs: the launch then fails, and no
   * process it started outlives the close.
   */
  public static LocalCluster launch(
      Path nodeJar,
      Options o,
      VirtualNetwork network,
      java.util.function.Consumer<String> progress,
      java.util.function.Consumer<LocalCluster> prepared)
      throws Exception {
    progress.accept("Starting node 0 (bootstraps the cluster)...");
    LocalCluster c = prepare(nodeJar, o.configuration(), network, o.ramMiB(), o.aot());
    prepared.accept(c);
    try {
      // In the virtual network this waits for node 0's lease, so node 0 has the first address.
      c.startNode(0);
      List<Integer> others = java.util.stream.IntStream.range(1, o.nodes()).boxed().toList();
      if (!others.isEmpty()) {
        // The other nodes start (JVM, address) while node 0 bootstraps; they wait for their
        // register parameters, which exist only once the cluster does.
        progress.accept("Starting nodes 1-" + (o.nodes() - 1) + "...");
        c.addNodes(others.size());
        c.startNodes(others);
      }
      c.awaitCurator(0, Duration.ofSeconds(60));
      progress.accept("Taking ownership of the cluster with the insecure test owner key...");
      c.ownerCertificateEventually(Duration.ofSeconds(60));
      c.awaitNodes(1, Duration.ofSeconds(60));
      if (!others.isEmpty()) {
        progress.accept("Registering nodes 1-" + (o.nodes() - 1) + " with the register ticket...");
        c.writeRegisterParameters(others);
        progress.accept("Approving nodes as they register...");
        c.approveAll(o.nodes(), Duration.ofMinutes(2));
        progress.accept("Waiting for " + o.nodes() + " nodes to be UP with addresses...");
        c.awaitNodes(o.nodes(), Duration.ofSeconds(60));
      }
      for (int i : new java.util.TreeSet<>(o.consensusMembers())) {
        if (i != 0) {
          progress.accept("Making node " + i + " a consensus member...");
          c.makeConsensusMember(i, Duration.ofSeconds(60));
        }
      }
      for (int i : new java.util.TreeSet<>(o.kubernetesWorkers())) {
        progress.accept("Making node " + i + " a Kubernetes worker...");
        c.updateRoles(i, UpdateNodeRolesRequest.newBuilder().setKubernetesWorker(true));
      }
      return c;
    } catch (Exception | AssertionError e) {
      c.close();
      throw e;
    }
  }

  /**
   * Like {@link #launch(Path, Options)}, but in a virtual network of its own (network namespaces
   * behind a nanoswitch started from {@code nanoswitchJar}), as launch-cluster runs it, in a
   * temporary directory that {@link #close} deletes with everything else. Needs root.
   */
  public static LocalCluster launchIsolated(Path nodeJar, Path nanoswitchJar, Options o)
      throws Exception {
    Path dir = Files.createTempDirectory("metropolis-cluster-");
    VirtualNetwork net;
    try {
      net = VirtualNetwork.create(dir, nanoswitchJar);
    } catch (Exception e) {
      Directories.deleteTree(dir);
      throw e;
    }
    try {
      LocalCluster c = launch(nodeJar, o, net, msg -> System.out.println("Cluster: " + msg));
      c.ownsDirectory = true;
      return c;
    } catch (Exception | AssertionError e) {
      Directories.deleteTree(dir);
      throw e;
    }
  }

  /** Adds {@code count} nodes set up to register with this cluster (not started). */
  public void addRegisteringNodes(int count) throws Exception {
    int first = nodes.size();
    addNodes(count);
    writeRegisterParameters(
        java.util.stream.IntStream.range(first, first + count).boxed().toList());
  }

  /** Adds {@code count} nodes without parameters (a started one waits for them). */
  private void addNodes(int count) {
    for (int k = 0; k < count; k++) {
      addNode();
    }
  }

  /**
   * Gives nodes {@code indexes} the parameters to register with this cluster: the register ticket,
   * the cluster directory and CA, and their test-node-number label.
   */
  private void writeRegisterParameters(List<Integer> indexes) throws Exception {
    record Register(GetRegisterTicketResponse ticket, GetClusterInfoResponse info) {}
    Register r =
        onLeader(ch -> {
          var mgmt = ManagementGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
          return new Register(
              mgmt.getRegisterTicket(GetRegisterTicketRequest.getDefaultInstance()),
              mgmt.getClusterInfo(GetClusterInfoRequest.getDefaultInstance()));
        });
    GetRegisterTicketResponse ticket = r.ticket();
    GetClusterInfoResponse info = r.info();
    if (info.getClusterDirectory().getNodesCount() == 0) {
      throw new IllegalStateException("the cluster directory is empty: no UP node has an address");
    }
    for (int i : indexes) {
      NodeParametersFiles.write(
          nodes.get(i).spec().stateDir(),
          NodeParametersFiles.register(
              ticket.getTicket(),
              info.getClusterDirectory(),
              info.getCaCertificate(),
              NodeLabels.newBuilder()
                  .addPairs(
                      NodeLabels.Pair.newBuilder()
                          .setKey(NODE_NUMBER_LABEL)
                          .setValue(Integer.toString(i)))
                  .build()));
    }
  }

  /** The label mapping node IDs to launch indexes. */
  public static final String NODE_NUMBER_LABEL = "test-node-number";

  /** Every node, as the leader lists it. */
  public List<Node> nodes() throws Exception {
    List<Node> out =
        onLeader(ch -> {
          List<Node> all = new ArrayList<>();
          ManagementGrpc.newBlockingStub(ch)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .getNodes(GetNodesRequest.getDefaultInstance())
              .forEachRemaining(all::add);
          return all;
        });
    for (Node n : out) {
      for (var l : n.getLabels().getPairsList()) {
        if (l.getKey().equals(NODE_NUMBER_LABEL)) {
          nodeIds.put(Integer.parseInt(l.getValue()), n.getId());
        }
      }
    }
    return out;
  }

  /** Node {@code i}'s ID (known once the node registered). */
  public String nodeId(int i) throws Exception {
    if (!nodeIds.containsKey(i)) {
      nodes();
    }
    String id = nodeIds.get(i);
    if (id == null) {
      throw new IllegalStateException("node " + i + " has not registered yet");
    }
    return id;
  }

  /** Approves every NEW node until {@code total} nodes are past NEW. */
  private void approveAll(int total, Duration timeout) throws Exception {
    poll(
        "want " + total + " approved nodes",
        timeout,
        () -> {
          int approved = 0;
          for (Node n : nodes()) {
            if (n.getState() == NodeState.NODE_STATE_NEW) {
              onLeader(ch ->
                  ManagementGrpc.newBlockingStub(ch)
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .approveNode(
                          ApproveNodeRequest.newBuilder().setPubkey(n.getPubkey()).build()));
              System.out.println("Cluster: approved node " + n.getId());
            }
            approved++;
          }
          return approved >= total;
        });
  }

  /** Waits until {@code count} nodes are UP with an external address. */
  public void awaitNodes(int count, Duration timeout) throws Exception {
    long[] reported = {-1};
    poll(
        "want " + count + " up nodes",
        timeout,
        () -> {
          long up =
              nodes().stream()
                  .filter(n -> n.getState() == NodeState.NODE_STATE_UP)
                  .filter(n -> !n.getStatus().getExternalAddress().isEmpty())
                  .count();
          if (up != reported[0]) {
            reported[0] = up;
            System.out.println("Cluster: want " + count + " up nodes, have " + up);
          }
          return up >= count;
        });
  }

  /** Changes node {@code i}'s roles through the leader. */
  public void updateRoles(int i, UpdateNodeRolesRequest.Builder req) throws Exception {
    String id = nodeId(i);
    onLeader(ch ->
        ManagementGrpc.newBlockingStub(ch)
            .withDeadlineAfter(15, TimeUnit.SECONDS)
            .updateNodeRoles(req.setId(id).build()));
  }

  /** Sets label {@code key=value} on node {@code i} through the leader (a Management write). */
  public void label(int i, String key, String value) throws Exception {
    ManagedChannel ch = curatorChannel();
    try {
      ManagementGrpc.newBlockingStub(ch)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .updateNodeLabels(
              UpdateNodeLabelsRequest.newBuilder()
                  .setId(nodeId(i))
                  .addUpsert(NodeLabels.Pair.newBuilder().setKey(key).setValue(value))
                  .build());
    } finally {
      ch.shutdownNow();
    }
  }

  /** Etcd membership as the leader reports it: node ID → status. */
  public Map<String, GetConsensusStatusResponse.EtcdMember.Status> consensusStatus()
      throws Exception {
    ManagedChannel ch = curatorChannel();
    try {
      Map<String, GetConsensusStatusResponse.EtcdMember.Status> out = new TreeMap<>();
      for (var m :
          CuratorGrpc.newBlockingStub(ch)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .getConsensusStatus(GetConsensusStatusRequest.getDefaultInstance())
              .getEtcdMemberList()) {
        out.put(m.getId(), m.getStatus());
      }
      return out;
    } finally {
      ch.shutdownNow();
    }
  }

  /**
   * Grants node {@code i} ConsensusMember (retrying while etcd is busy with another learner) and
   * waits until its etcd member is a full voting member.
   */
  public void makeConsensusMember(int i, Duration timeout) throws Exception {
    String id = nodeId(i);
    poll(
        "node " + i + " granted ConsensusMember",
        timeout,
        () -> {
          try {
            updateRoles(i, UpdateNodeRolesRequest.newBuilder().setConsensusMember(true));
            return true;
          } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
              return false;
            }
            throw e;
          }
        });
    poll(
        "node " + i + " a full etcd member",
        timeout,
        () ->
            consensusStatus().get(id) == GetConsensusStatusResponse.EtcdMember.Status.STATUS_FULL);
    System.out.println("Cluster: node " + i + " (" + id + ") is a full consensus member");
  }

  /** The index of the node whose curator leads, asking any node that answers. */
  public int leaderIndex() {
    String host = leader().getLeaderHost();
    for (int i = 0; i < nodes.size(); i++) {
      if (address(i).equals(host)) {
        return i;
      }
    }
    throw new IllegalStateException("leader at " + host + " is not a node of this cluster");
  }

  /** Who leads, as the first running node that knows says. */
  private GetCurrentLeaderResponse leader() {
    List<String> errors = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (!nodes.get(i).isAlive()) {
        continue;
      }
      ManagedChannel ch = rpc(address(i), 7835).insecure().build();
      try {
        var r =
            CuratorLocalGrpc.newBlockingStub(ch)
                .withDeadlineAfter(3, TimeUnit.SECONDS)
                .getCurrentLeader(GetCurrentLeaderRequest.getDefaultInstance())
                .next();
        if (!r.getLeaderHost().isEmpty()) {
          return r;
        }
        errors.add("node " + i + ": leader " + r.getLeaderNodeId() + " has no known address");
      } catch (RuntimeException e) {
        errors.add("node " + i + ": " + e.getMessage());
      } finally {
        ch.shutdownNow();
      }
    }
    throw new IllegalStateException("no node knows a curator leader: " + errors);
  }

  /**
   * An owner-authenticated channel to the current curator leader, found by asking the running nodes
   * (CuratorLocal.GetCurrentLeader), as the resolver of a real client does.
   */
  public ManagedChannel curatorChannel() throws Exception {
    var l = leader();
    return ownerChannel(l.getLeaderHost(), l.getLeaderPort());
  }

  /** A call on an owner channel to the leader. */
  @FunctionalInterface
  private interface LeaderCall<T> {
    T apply(ManagedChannel ch) throws Exception;
  }

  /**
   * The owner channel to the leader that {@link #onLeader} keeps between calls: finding the leader
   * and a TLS handshake (through SOCKS in the virtual network) per call were most of a launch's
   * round trips. Null until needed and after a failed call.
   */
  private ManagedChannel leaderChannel;

  /**
   * Runs {@code call} on the kept leader channel. Any failed call drops the channel (the leader may
   * have changed or gone), so the next one finds the leader anew.
   */
  private <T> T onLeader(LeaderCall<T> call) throws Exception {
    ManagedChannel ch;
    synchronized (this) {
      if (leaderChannel == null) {
        leaderChannel = curatorChannel();
      }
      ch = leaderChannel;
    }
    try {
      return call.apply(ch);
    } catch (StatusRuntimeException e) {
      synchronized (this) {
        if (ch.equals(leaderChannel)) {
          leaderChannel = null;
        }
      }
      ch.shutdownNow();
      throw e;
    }
  }

  private void ownerCertificateEventually(Duration timeout) throws Exception {
    poll(
        "owner escrow",
        timeout,
        () -> {
          try {
            ownerCertificate();
            return true;
          } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
              return false;
            }
            throw e;
          }
        });
  }

  /** A condition polled by {@link #poll}. */
  @FunctionalInterface
  private interface Condition {
    boolean holds() throws Exception;
  }

  /**
   * Polls every {@link #POLL_INTERVAL} until {@code c} holds; fails with the last error after the
   * timeout.
   */
  private static void poll(String what, Duration timeout, Condition c) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (true) {
      try {
        if (c.holds()) {
          return;
        }
      } catch (StatusRuntimeException | IllegalStateException e) {
        last = e;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Cluster: " + what + ": not done after " + timeout.toSeconds() + " s: " + last, last);
      }
      Thread.sleep(POLL_INTERVAL.toMillis());
    }
  }

  /**
   * Short: every step of a launch waits on the previous one through this, and a second per step
   * added up to a third of launch-cluster's start-up time.
   */
  private static final Duration POLL_INTERVAL = Duration.ofMillis(100);

  /** Hard power-off of node {@code i} (SIGKILL to it and its etcd); its state is kept. */
  public void shutdownNode(int i) throws InterruptedException {
    nodes.get(i).kill();
  }

  /** Starts node {@code i} again on its state. */
  public void startNode(int i) throws IOException, InterruptedException {
    startNodes(List.of(i));
  }

  /**
   * Starts nodes {@code indexes} at once and, in the virtual network, waits for each one's DHCP
   * address. Started together, they take addresses in the order their requests arrive; a node keeps
   * its address across restarts (the lease is sticky to its interface).
   */
  public void startNodes(List<Integer> indexes) throws IOException, InterruptedException {
    Map<Integer, Long> offsets = new java.util.LinkedHashMap<>();
    for (int i : indexes) {
      NodeProcess n = nodes.get(i);
      offsets.put(i, Files.exists(n.spec().logFile()) ? Files.size(n.spec().logFile()) : 0);
      // Under the lock close() takes: a node either starts before the close (which then stops
      // it) or not at all.
      synchronized (this) {
        if (closed) {
          throw new IllegalStateException("cluster closed: node " + i + " not started");
        }
        n.start();
      }
    }
    if (net != null) {
      for (var e : offsets.entrySet()) {
        leased.put(e.getKey(), awaitLease(nodes.get(e.getKey()), e.getValue()));
      }
    }
  }

  private static final java.util.regex.Pattern LEASE =
      java.util.regex.Pattern.compile("Address (\\d+\\.\\d+\\.\\d+\\.\\d+) on ");

  /**
   * Waits for the node's DHCP client to log its address (after {@code offset} in its log, so a
   * restarted node is not taken for its previous run).
   */
  private static String awaitLease(NodeProcess n, long offset)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(n.spec().logFile())) {
        byte[] all = Files.readAllBytes(n.spec().logFile());
        String tail =
            new String(
                all,
                (int) Math.min(offset, all.length),
                (int) Math.max(0, all.length - offset),
                java.nio.charset.StandardCharsets.UTF_8);
        var m = LEASE.matcher(tail);
        if (m.find()) {
          return m.group(1);
        }
      }
      if (!n.isAlive()) {
        throw new IllegalStateException(
            "node exited before it had an address; see " + n.spec().logFile());
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("node got no DHCP lease in 60 s; see " + n.spec().logFile());
  }

  public int size() {
    return nodes.size();
  }

  private NodeProcess addNode() {
    int i = nodes.size();
    String addr = subnet + (10 + i);
    Path state = dir.resolve("node-" + i);
    List<String> wrapper = List.of();
    if (net != null) {
      try {
        wrapper = net.addNode(i);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while creating node " + i + "'s namespace", e);
      }
    }
    NodeProcess p =
        new NodeProcess(
            new NodeProcess.Spec(
                nodeJar,
                state,
                dir.resolve("node-" + i + ".log"),
                addr,
                7835,
                7834,
                net != null ? "127.0.0.1" : addr,
                7833,
                wrapper,
                net != null ? "eth0" : "",
                new NodeProcess.Jvm(
                    ramMiB,
                    cgroups.map(g -> g.resolve("node-" + i)),
                    aot,
                    // Node 0 bootstraps: it runs etcd and the curator before anything else.
                    i == 0 ? "metropolis-node-bootstrap" : "metropolis-node")));
    nodes.add(p);
    return p;
  }

  public NodeProcess node(int i) {
    return nodes.get(i);
  }

  public String address(int i) {
    return net != null ? leased.getOrDefault(i, "") : nodes.get(i).spec().address();
  }

  /** The virtual network the nodes live in, if any. */
  public java.util.Optional<VirtualNetwork> network() {
    return java.util.Optional.ofNullable(net);
  }

  /**
   * A channel builder to {@code host:port}, through the network's SOCKS5 proxy when there is one.
   */
  private RpcChannelBuilder rpc(String host, int port) {
    RpcChannelBuilder b = RpcChannelBuilder.forAddress(host, port);
    return net != null ? b.socksProxy(net.socks()) : b;
  }

  public Path directory() {
    return dir;
  }

  /** Waits until node {@code i}'s curator answers GetCACertificate and returns the CA. */
  public X509Certificate awaitCurator(int i, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    // One channel for every attempt: once connected, later attempts need no new TLS handshake.
    ManagedChannel ch = rpc(address(i), 7835).insecure().build();
    try {
      while (System.nanoTime() < deadline) {
        if (!nodes.get(i).isAlive()) {
          throw new IllegalStateException("node " + i + " exited; its log:\n" + nodes.get(i).log());
        }
        try {
          var resp =
              CuratorLocalGrpc.newBlockingStub(ch)
                  .withDeadlineAfter(2, TimeUnit.SECONDS)
                  .getCACertificate(GetCACertificateRequest.getDefaultInstance());
          ca = Pem.parseCertificate(resp.getIdentityCaCertificate().toByteArray());
          return ca;
        } catch (RuntimeException e) {
          last = e;
        }
        Thread.sleep(POLL_INTERVAL.toMillis());
        // A refused connection puts the channel into back-off (1 s and growing): retry now.
        ch.resetConnectBackoff();
      }
    } finally {
      ch.shutdownNow();
    }
    throw new IllegalStateException("node " + i + " did not serve within " + timeout + ": " + last);
  }

  public X509Certificate ca() {
    return ca;
  }

  /**
   * Writes a metroctl configuration directory for this cluster's owner: the insecure owner key, the
   * owner certificate and the CA, as metroctl keeps them after {@code cluster takeownership}.
   */
  public void writeMetroctlConfig(Path dir) throws Exception {
    ConfigDir c = new ConfigDir(dir);
    c.writeOwnerKey(InsecureOwnerKey.keyPair().getPrivate());
    c.writeOwnerCertificate(ownerCertificate());
    c.writeCaCertificate(ca);
  }

  /** Trades the insecure owner key for the owner certificate (AAA.Escrow), once. */
  public synchronized X509Certificate ownerCertificate() throws Exception {
    if (ownerCert == null) {
      ownerCert = escrow(0, InsecureOwnerKey.keyPair());
    }
    return ownerCert;
  }

  /** Runs one owner escrow against node {@code i} with ephemeral credentials for {@code key}. */
  public X509Certificate escrow(int i, KeyPair key) throws Exception {
    ManagedChannel ch = rpc(address(i), 7835).ephemeralCredentials(key).verifyNode(ca).build();
    try {
      CompletableFuture<byte[]> cert = new CompletableFuture<>();
      StreamObserver<EscrowRequest> req =
          AAAGrpc.newStub(ch)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .escrow(
                  new StreamObserver<EscrowResponse>() {
                    @Override
                    public void onNext(EscrowResponse r) {
                      if (!r.getEmittedCertificate().isEmpty()) {
                        cert.complete(r.getEmittedCertificate().toByteArray());
                      }
                    }

                    @Override
                    public void onError(Throwable t) {
                      cert.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                      cert.completeExceptionally(
                          new IllegalStateException("escrow ended without a certificate"));
                    }
                  });
      req.onNext(
          EscrowRequest.newBuilder()
              .setParameters(
                  EscrowRequest.Parameters.newBuilder()
                      .setRequestedIdentityName("owner")
                      .setPublicKey(ByteString.copyFrom(Ed25519.rawPublicKey(key.getPublic()))))
              .build());
      req.onCompleted();
      return Pem.parseCertificate(cert.get(15, TimeUnit.SECONDS));
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof Exception x) {
        throw x;
      }
      throw e;
    } finally {
      ch.shutdownNow();
    }
  }

  /** An owner-authenticated channel to node {@code i}'s curator, verifying it under the CA. */
  public ManagedChannel ownerChannel(int i) throws Exception {
    return ownerChannel(address(i), 7835);
  }

  private ManagedChannel ownerChannel(String host, int port) throws Exception {
    X509Certificate cert = ownerCertificate();
    return rpc(host, port)
        .clusterCredentials(cert, InsecureOwnerKey.keyPair().getPrivate())
        .verifyNode(ca)
        .build();
  }

  /**
   * Hard restart of node {@code i} on its state (SIGKILL, then start again), without waiting for it
   * to rejoin: for tests that check what the rest of the cluster does meanwhile.
   */
  public void restartNode(int i) throws Exception {
    nodes.get(i).kill();
    startNode(i);
  }

  /**
   * Hard reboot of node {@code i}: {@link #restartNode}, then waits until the leader reports it UP
   * and HEALTHY with a heartbeat sent after the restart.
   */
  public void rebootNode(int i, Duration timeout) throws Exception {
    Instant restart = Instant.now();
    restartNode(i);
    awaitHeartbeatAfter(i, restart, timeout);
  }

  /**
   * Waits until the leader reports node {@code i} UP, HEALTHY, and heartbeating after {@code t}.
   */
  public void awaitHeartbeatAfter(int i, Instant t, Duration timeout) throws Exception {
    String id = nodeId(i);
    poll(
        "node " + i + " healthy with a heartbeat after " + t,
        timeout,
        () -> {
          for (Node n : nodes()) {
            if (n.getId().equals(id)) {
              Duration since =
                  Duration.ofSeconds(
                      n.getTimeSinceHeartbeat().getSeconds(), n.getTimeSinceHeartbeat().getNanos());
              return n.getState() == NodeState.NODE_STATE_UP
                  && n.getHealth() == Node.Health.HEALTH_HEALTHY
                  && Instant.now().minus(since).isAfter(t);
            }
          }
          return false;
        });
  }

  /**
   * Cuts node {@code i} off the cluster network: its switch port goes down, so nothing reaches it
   * and it reaches nothing, while its process keeps running. Needs the virtual network.
   */
  public void partitionNode(int i) throws IOException, InterruptedException {
    requireNetwork("partitionNode").partition(i);
  }

  /** Restores node {@code i}'s link after {@link #partitionNode}. */
  public void healNode(int i) throws IOException, InterruptedException {
    requireNetwork("healNode").heal(i);
  }

  private VirtualNetwork requireNetwork(String what) {
    if (net == null) {
      throw new UnsupportedOperationException(
          what + " needs the virtual network: loopback nodes share one link");
    }
    return net;
  }

  /** Stops every node and removes what the cluster made; a second call does nothing. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (leaderChannel != null) {
        leaderChannel.shutdownNow();
        leaderChannel = null;
      }
    }
    for (NodeProcess n : nodes) {
      try {
        n.stop(Duration.ofSeconds(15));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (cgroups.isPresent()) {
      try {
        MemoryCgroup.remove(cgroups.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (net != null) {
      net.close();
      // Unless made here, the network's directory belongs to whoever made the network
      // (launch-cluster keeps it with --launch-dir).
      if (!ownsDirectory) {
        return;
      }
    }
    Directories.deleteTree(dir);
  }

  /** Node {@code i}'s memory cgroup, if nodes run in one (root). */
  public java.util.Optional<Path> memoryCgroup(int i) {
    return nodes.get(i).spec().jvm().cgroup();
  }

  /** Keeps the directory (logs) for inspection instead of deleting it: for failing tests. */
  public String logs() throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < nodes.size(); i++) {
      sb.append("=== node ")
          .append(i)
          .append(" (")
          .append(address(i))
          .append(")\n")
          .append(nodes.get(i).log());
    }
    return sb.toString();
  }
}
