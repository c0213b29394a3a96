package dev.metropolis.metroctl.client;

import com.google.protobuf.ByteString;
import dev.metropolis.api.aaa.AAAGrpc;
import dev.metropolis.api.aaa.EscrowRequest;
import dev.metropolis.api.aaa.EscrowResponse;
import dev.metropolis.api.aaa.ProofRequest;
import dev.metropolis.api.curator.CuratorGrpc;
import dev.metropolis.api.curator.CuratorLocalGrpc;
import dev.metropolis.api.curator.GetCACertificateRequest;
import dev.metropolis.api.curator.GetConsensusStatusRequest;
import dev.metropolis.api.curator.GetConsensusStatusResponse;
import dev.metropolis.api.curator.GetCurrentLeaderRequest;
import dev.metropolis.api.curator.GetCurrentLeaderResponse;
import dev.metropolis.api.management.GetClusterInfoRequest;
import dev.metropolis.api.management.GetClusterInfoResponse;
import dev.metropolis.api.management.GetNodesRequest;
import dev.metropolis.api.management.GetRegisterTicketRequest;
import dev.metropolis.api.management.ManagementGrpc;
import dev.metropolis.api.management.Node;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.osbase.pki.Pem;
import dev.metropolis.rpc.JdkTls;
import dev.metropolis.rpc.PeerClassifier;
import dev.metropolis.rpc.RpcChannelBuilder;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;

/**
 * metroctl's connection to a cluster: trust, credentials, leader discovery and the calls the
 * commands make.
 *
 * <p>Leader discovery: the endpoints are asked in order who leads ({@code
 * CuratorLocal.GetCurrentLeader}, first answer only). A leader names itself, and its connection is
 * used as it is. A follower names the leader and its address; metroctl dials that address,
 * requiring the leader's node ID in its certificate, and confirms it leads. An endpoint that fails,
 * or names a leader without an address or one that cannot be reached, is skipped for the next.
 * Management and AAA are served by the leader only, so a call answered UNAVAILABLE (the leader lost
 * its tenure meanwhile) is retried once through a fresh discovery.
 *
 * <p>Every connection verifies the server as a node of the pinned CA, except the one fetching the
 * CA before it is trusted.
 */
public final class ClusterClient implements AutoCloseable {
  /** Per endpoint: connect, handshake and answer who leads. */
  static final Duration DISCOVERY_DEADLINE = Duration.ofSeconds(10);

  /** One call to the leader, including streaming every node. */
  static final Duration CALL_DEADLINE = Duration.ofSeconds(30);

  /**
   * What a client needs.
   *
   * @param config the credential directory
   * @param endpoints nodes to start discovery from, in order; not empty
   * @param proxy SOCKS5 proxy every connection goes through
   * @param acceptFirstCa trust the first CA seen without asking
   * @param prompter asks the operator whether to trust a CA
   * @param log progress lines for {@code --verbose}
   */
  public record Options(
      ConfigDir config,
      List<Endpoint> endpoints,
      Optional<Endpoint> proxy,
      boolean acceptFirstCa,
      Prompter prompter,
      Consumer<String> log) {
    public Options {
      if (endpoints.isEmpty()) {
        throw new IllegalArgumentException("no endpoints");
      }
      endpoints = List.copyOf(endpoints);
    }
  }

  private final Options o;
  private X509Certificate ca;
  private EventLoopGroup loop;

  public ClusterClient(Options options) {
    this.o = options;
  }

  /** The endpoints (and proxy) as the operator should recognise them. */
  public String where() {
    String eps = o.endpoints().stream().map(Endpoint::toString).collect(Collectors.joining(", "));
    return o.proxy().map(p -> eps + " via proxy " + p).orElse(eps);
  }

  /** The trusted cluster CA, established on first use (see {@link CaTrust}). */
  public synchronized X509Certificate ca() {
    if (ca == null) {
      ca = CaTrust.establish(o.config(), this::fetchCa, o.acceptFirstCa(), where(), o.prompter());
      o.log().accept("cluster CA " + CaTrust.fingerprint(ca) + " trusted");
    }
    return ca;
  }

  /**
   * The owner's credentials for management calls.
   *
   * @throws MetroctlException if owner-key.pem or owner.pem is missing or they do not match
   */
  public Credentials ownerCredentials() {
    return o.config().ownerCredentials();
  }

  /** Every node matching the CEL {@code filter} (empty: all), as the leader reports them. */
  public List<Node> getNodes(String filter) {
    return asOwner(ch -> getNodes(ch, filter));
  }

  /**
   * GetNodes on a connection {@link #asOwner} gave. The stream is read by an async observer that
   * asks for every message up front, on the transport thread: the blocking stub's iterator asks for
   * one message at a time, two thread hand-offs per node, which at 1,000 nodes took longer than the
   * server's whole handling of the call.
   */
  public List<Node> getNodes(ManagedChannel ch, String filter) {
    // Filled on the transport thread only; handed over when done completes.
    List<Node> nodes = new ArrayList<>();
    CompletableFuture<List<Node>> done = new CompletableFuture<>();
    ManagementGrpc.newStub(ch)
        .withDeadlineAfter(CALL_DEADLINE)
        .getNodes(
            GetNodesRequest.newBuilder().setFilter(filter).build(),
            new ClientResponseObserver<GetNodesRequest, Node>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<GetNodesRequest> call) {
                call.disableAutoRequestWithInitial(Integer.MAX_VALUE);
              }

              @Override
              public void onNext(Node n) {
                nodes.add(n);
              }

              @Override
              public void onError(Throwable t) {
                done.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                done.complete(nodes);
              }
            });
    List<Node> got = await(done, "GetNodes");
    o.log().accept("received " + got.size() + " nodes");
    return got;
  }

  /** NodeManagement's port on every node. */
  public static final int NODE_MGMT_PORT = 7839;

  /** The metrics endpoint's port on every node. */
  public static final int METRICS_PORT = 7840;

  /**
   * The address node {@code id} reported, for node-local calls.
   *
   * @throws MetroctlException if the cluster does not know the node or it reported no address
   */
  public String nodeAddress(String id) {
    List<Node> found = getNodes("node.id == \"" + NodeId.requireValid(id) + "\"");
    if (found.isEmpty()) {
      throw new MetroctlException("node " + id + " is not in the cluster");
    }
    String addr = found.getFirst().getStatus().getExternalAddress();
    if (addr.isEmpty()) {
      throw new MetroctlException("node " + id + " has not reported an address yet");
    }
    return addr;
  }

  /**
   * A channel to NodeManagement on node {@code id} at {@code host}, as the owner, accepting only
   * that node's certificate under the pinned CA. The caller shuts it down.
   */
  public ManagedChannel nodeChannel(String host, String id) {
    return dial(new Endpoint(host, NODE_MGMT_PORT), ownerCredentials(), ca(), Optional.of(id));
  }

  /** TLS for node {@code id}'s HTTPS endpoints: the owner's certificate, only that node trusted. */
  public SSLContext nodeTls(String id) {
    Credentials creds = ownerCredentials();
    return JdkTls.client(ca(), id, creds.certificate(), creds.key());
  }

  /** The SOCKS5 proxy every connection goes through, if any. */
  public Optional<Endpoint> proxy() {
    return o.proxy();
  }

  /** The cluster directory, CA and configuration. */
  public GetClusterInfoResponse clusterInfo() {
    return asOwner(ch -> management(ch).getClusterInfo(GetClusterInfoRequest.getDefaultInstance()));
  }

  /** The register ticket new nodes need. */
  public byte[] registerTicket() {
    return asOwner(ch ->
        management(ch)
            .getRegisterTicket(GetRegisterTicketRequest.getDefaultInstance())
            .getTicket()
            .toByteArray());
  }

  /**
   * Etcd membership. {@code Curator.GetConsensusStatus} is node-facing, but it asks only for
   * READ_CLUSTER_STATUS, which the owner holds like every user, so the owner reads it directly.
   */
  public List<GetConsensusStatusResponse.EtcdMember> consensusStatus() {
    return asOwner(ch ->
        CuratorGrpc.newBlockingStub(ch)
            .withDeadlineAfter(CALL_DEADLINE)
            .getConsensusStatus(GetConsensusStatusRequest.getDefaultInstance())
            .getEtcdMemberList());
  }

  /** A Management stub on {@code ch} for one call, with the call deadline. */
  public static ManagementGrpc.ManagementBlockingStub management(ManagedChannel ch) {
    return ManagementGrpc.newBlockingStub(ch).withDeadlineAfter(CALL_DEADLINE);
  }

  /**
   * Runs {@code call} on a connection to the leader with the owner's credentials, retried once
   * through a new discovery as {@link #callLeader} does. Commands making several calls make them
   * all inside one {@code call}, on one connection, instead of discovering the leader for each.
   */
  public <T> T asOwner(Function<ManagedChannel, T> call) {
    o.log().accept("loading credentials");
    Credentials creds = ownerCredentials();
    o.log().accept("credentials loaded");
    X509Certificate trusted = ca();
    return callLeader(creds, trusted, call);
  }

  /**
   * Trades possession of the initial owner key for the owner certificate ({@code AAA.Escrow}),
   * checking that the certificate is an owner certificate of the trusted CA for that key.
   */
  public X509Certificate escrowOwner(KeyPair ownerKey) {
    X509Certificate trusted = ca();
    Credentials creds = Credentials.ephemeral(ownerKey);
    byte[] pub = Ed25519.rawPublicKey(ownerKey.getPublic());
    byte[] der = callLeader(creds, trusted, ch -> escrow(ch, pub));
    X509Certificate cert;
    try {
      cert = Pem.parseCertificate(der);
    } catch (IllegalArgumentException e) {
      throw new MetroctlException("the cluster sent an unreadable owner certificate", e);
    }
    if (PeerClassifier.verifyUser(cert, trusted).isEmpty()
        || !MessageDigest.isEqual(Ed25519.rawPublicKey(cert.getPublicKey()), pub)) {
      throw new MetroctlException(
          "the cluster sent a certificate that is not an owner certificate for owner-key.pem");
    }
    return cert;
  }

  private static byte[] escrow(ManagedChannel ch, byte[] pub) {
    CompletableFuture<List<EscrowResponse>> done = new CompletableFuture<>();
    List<EscrowResponse> answers = Collections.synchronizedList(new ArrayList<>());
    StreamObserver<EscrowRequest> requests =
        AAAGrpc.newStub(ch)
            .withDeadlineAfter(CALL_DEADLINE)
            .escrow(
                new StreamObserver<>() {
                  @Override
                  public void onNext(EscrowResponse r) {
                    answers.add(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {
                    done.complete(answers);
                  }
                });
    requests.onNext(
        EscrowRequest.newBuilder()
            .setParameters(
                EscrowRequest.Parameters.newBuilder()
                    .setRequestedIdentityName("owner")
                    .setPublicKey(ByteString.copyFrom(pub)))
            .build());
    requests.onCompleted();
    List<EscrowResponse> got = await(done, "escrow");
    for (EscrowResponse r : got) {
      if (!r.getEmittedCertificate().isEmpty()) {
        return r.getEmittedCertificate().toByteArray();
      }
    }
    String needed =
        got.stream()
            .flatMap(r -> r.getNeededList().stream())
            .map(ProofRequest::getKind)
            .map(Enum::name)
            .distinct()
            .collect(Collectors.joining(", "));
    throw new MetroctlException(
        "the cluster issued no owner certificate"
            + (needed.isEmpty() ? "" : " (it still needs proofs: " + needed + ")"));
  }

  /**
   * The outcome of an async call, its failure as the status a blocking stub would have thrown. The
   * call's own deadline normally ends it first.
   */
  private static <T> T await(CompletableFuture<T> done, String what) {
    try {
      return done.get(CALL_DEADLINE.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException sre) {
        throw sre;
      }
      throw Status.fromThrowable(e.getCause()).asRuntimeException();
    } catch (TimeoutException e) {
      throw Status.DEADLINE_EXCEEDED.withDescription(what + " did not finish").asRuntimeException();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    }
  }

  /**
   * Runs {@code call} on a connection to the leader, retrying once through a new discovery if the
   * leader answers UNAVAILABLE. Other failures propagate as they are.
   */
  public <T> T callLeader(
      Credentials creds, X509Certificate trusted, Function<ManagedChannel, T> call) {
    for (int attempt = 1; ; attempt++) {
      Leader leader = findLeader(creds, trusted);
      try {
        return call.apply(leader.channel());
      } catch (StatusRuntimeException e) {
        if (attempt == 1 && e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
          o.log()
              .accept(
                  "leader "
                      + leader.nodeId()
                      + " at "
                      + leader.at()
                      + " is unavailable ("
                      + RpcErrors.describe(e)
                      + "); looking for the leader again");
          continue;
        }
        throw e;
      } finally {
        leader.channel().shutdownNow();
      }
    }
  }

  /** A connection to the current leader. */
  record Leader(ManagedChannel channel, String nodeId, Endpoint at) {}

  Leader findLeader(Credentials creds, X509Certificate trusted) {
    List<String> failures = new ArrayList<>();
    for (Endpoint ep : o.endpoints()) {
      o.log().accept("asking " + ep + " who leads the cluster");
      ManagedChannel ch = dial(ep, creds, trusted, Optional.empty());
      GetCurrentLeaderResponse answer;
      try {
        answer = currentLeader(ch);
      } catch (StatusRuntimeException e) {
        ch.shutdownNow();
        failures.add(ep + ": " + RpcErrors.describe(e));
        continue;
      }
      if (answer.getThisNodeId().equals(answer.getLeaderNodeId())) {
        o.log().accept(ep + " is the leader " + answer.getLeaderNodeId());
        return new Leader(ch, answer.getLeaderNodeId(), ep);
      }
      ch.shutdownNow();
      String leaderId = answer.getLeaderNodeId();
      if (answer.getLeaderHost().isEmpty()) {
        failures.add(ep + ": the leader " + leaderId + " has no known address");
        continue;
      }
      Endpoint leaderAt;
      ManagedChannel lch;
      try {
        leaderAt =
            new Endpoint(
                answer.getLeaderHost(),
                answer.getLeaderPort() == 0 ? Endpoint.CURATOR_PORT : answer.getLeaderPort());
        lch = dial(leaderAt, creds, trusted, Optional.of(leaderId));
      } catch (IllegalArgumentException e) {
        failures.add(ep + ": unusable leader answer: " + e.getMessage());
        continue;
      }
      o.log().accept(ep + " follows " + leaderId + " at " + leaderAt + "; dialling it");
      try {
        GetCurrentLeaderResponse confirm = currentLeader(lch);
        if (confirm.getThisNodeId().equals(confirm.getLeaderNodeId())) {
          return new Leader(lch, leaderId, leaderAt);
        }
        failures.add(leaderAt + " (named leader by " + ep + "): no longer leads");
      } catch (StatusRuntimeException e) {
        failures.add(leaderAt + " (named leader by " + ep + "): " + RpcErrors.describe(e));
      }
      lch.shutdownNow();
    }
    throw new MetroctlException("no curator leader reachable: " + String.join("; ", failures));
  }

  /** The first answer of GetCurrentLeader; the stream (kept open by a leader) is then cancelled. */
  private static GetCurrentLeaderResponse currentLeader(ManagedChannel ch) {
    try (Context.CancellableContext ctx = Context.current().withCancellation()) {
      Context previous = ctx.attach();
      try {
        Iterator<GetCurrentLeaderResponse> it =
            CuratorLocalGrpc.newBlockingStub(ch)
                .withDeadlineAfter(DISCOVERY_DEADLINE)
                .getCurrentLeader(GetCurrentLeaderRequest.getDefaultInstance());
        if (!it.hasNext()) {
          throw Status.UNAVAILABLE
              .withDescription("the curator ended GetCurrentLeader without an answer")
              .asRuntimeException();
        }
        return it.next();
      } finally {
        ctx.detach(previous);
      }
    }
  }

  /**
   * Fetches the CA without verifying the server: this is the one call made before anything is
   * trusted. No client certificate is presented, as the call is unauthenticated anyway.
   */
  X509Certificate fetchCa() {
    List<String> failures = new ArrayList<>();
    for (Endpoint ep : o.endpoints()) {
      o.log().accept("fetching the cluster CA from " + ep);
      ManagedChannel ch = build(builder(ep).noCredentials().insecure());
      try {
        byte[] der =
            CuratorLocalGrpc.newBlockingStub(ch)
                .withDeadlineAfter(DISCOVERY_DEADLINE)
                .getCACertificate(GetCACertificateRequest.getDefaultInstance())
                .getIdentityCaCertificate()
                .toByteArray();
        return Pem.parseCertificate(der);
      } catch (StatusRuntimeException e) {
        failures.add(ep + ": " + RpcErrors.describe(e));
      } catch (IllegalArgumentException e) {
        failures.add(ep + ": unreadable CA certificate: " + e.getMessage());
      } finally {
        ch.shutdownNow();
      }
    }
    throw new MetroctlException("cannot fetch the cluster CA: " + String.join("; ", failures));
  }

  private ManagedChannel dial(
      Endpoint ep, Credentials creds, X509Certificate trusted, Optional<String> nodeId) {
    RpcChannelBuilder b = builder(ep).clusterCredentials(creds.certificate(), creds.key());
    if (nodeId.isPresent()) {
      b.verifyNode(trusted, nodeId.get());
    } else {
      b.verifyNode(trusted);
    }
    return build(b);
  }

  /**
   * Builds a channel on this client's own event loop.
   *
   * <p>Callbacks run on the transport thread: they only hand results over, and a command makes one
   * call at a time, so an executor pool would only cost start-up time.
   *
   * <p>The event loop is this client's so that {@link #close} can stop it. gRPC's shared loop
   * outlives the channels by a second, its thread sits in native {@code epoll_wait}, and the JVM
   * waits 300 ms at exit for threads in native code: a third of the start-to-exit budget. Plain NIO
   * also spares loading Netty's native transport library.
   */
  private ManagedChannel build(RpcChannelBuilder b) {
    NettyChannelBuilder nb =
        b.nettyBuilder().eventLoopGroup(loop()).directExecutor().userAgent("metroctl");
    if (o.proxy().isEmpty()) {
      // With a proxy, RpcChannelBuilder has set a factory of NIO channels already.
      nb.channelType(NioSocketChannel.class, InetSocketAddress.class);
    }
    return nb.build();
  }

  private synchronized EventLoopGroup loop() {
    if (loop == null) {
      loop =
          new MultiThreadIoEventLoopGroup(
              1, new DefaultThreadFactory("metroctl-rpc", true), NioIoHandler.newFactory());
    }
    return loop;
  }

  /** Stops the event loop; channels must be shut down already (every method here does so). */
  @Override
  public synchronized void close() {
    if (loop != null) {
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
      loop = null;
    }
  }

  private RpcChannelBuilder builder(Endpoint ep) {
    RpcChannelBuilder b = RpcChannelBuilder.forAddress(ep.host(), ep.port());
    o.proxy().ifPresent(p -> b.socksProxy(p.toString()));
    return b;
  }
}
