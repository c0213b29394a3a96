package dev.metropolis.launch;

import com.google.protobuf.ByteString;
import dev.metropolis.api.aaa.AAAGrpc;
import dev.metropolis.api.aaa.EscrowRequest;
import dev.metropolis.api.aaa.EscrowResponse;
import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.NodeLabels;
import dev.metropolis.api.curator.CuratorLocalGrpc;
import dev.metropolis.api.curator.GetCACertificateRequest;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.Pem;
import dev.metropolis.rpc.RpcChannelBuilder;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A cluster of hosted node processes on this host's loopback, for integration tests: each node gets
 * its own 127.42.x.y address (so runs never collide on ports), its own state directory and log
 * file. Node 0 bootstraps with the {@link InsecureOwnerKey}. Close it to stop every process and
 * delete every file it made.
 */
public final class LocalCluster implements AutoCloseable {
  private final Path dir;
  private final Path nodeJar;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final String subnet;
  private X509Certificate ca;
  private X509Certificate ownerCert;

  private LocalCluster(Path dir, Path nodeJar) {
    this.dir = dir;
    this.nodeJar = nodeJar;
    this.subnet = "127.42." + ThreadLocalRandom.current().nextInt(1, 255) + ".";
  }

  /** Starts node 0, bootstrapping a cluster with {@code config}, and waits until it serves. */
  public static LocalCluster bootstrap(Path nodeJar, ClusterConfiguration config) throws Exception {
    LocalCluster c = prepare(nodeJar, config);
    try {
      c.node(0).start();
      c.awaitCurator(0, Duration.ofSeconds(60));
      return c;
    } catch (Exception e) {
      c.close();
      throw e;
    }
  }

  /** Prepares node 0 to bootstrap a cluster with {@code config}, without starting it. */
  public static LocalCluster prepare(Path nodeJar, ClusterConfiguration config) throws Exception {
    if (!Files.exists(nodeJar)) {
      throw new IllegalStateException("node jar " + nodeJar + " not built");
    }
    LocalCluster c = new LocalCluster(Files.createTempDirectory("metropolis-cluster-"), nodeJar);
    try {
      NodeProcess n0 = c.addNode();
      NodeParametersFiles.write(
          n0.spec().stateDir(),
          NodeParametersFiles.bootstrap(
              InsecureOwnerKey.keyPair().getPublic(),
              config,
              NodeLabels.newBuilder()
                  .addPairs(NodeLabels.Pair.newBuilder().setKey("test-node-number").setValue("0"))
                  .build()));
      return c;
    } catch (Exception e) {
      c.close();
      throw e;
    }
  }

  private NodeProcess addNode() {
    int i = nodes.size();
    String addr = subnet + (10 + i);
    Path state = dir.resolve("node-" + i);
    NodeProcess p =
        new NodeProcess(
            new NodeProcess.Spec(
                nodeJar,
                state,
                dir.resolve("node-" + i + ".log"),
                addr,
                7835,
                7834,
                addr,
                7833,
                List.of()));
    nodes.add(p);
    return p;
  }

  public NodeProcess node(int i) {
    return nodes.get(i);
  }

  public String address(int i) {
    return nodes.get(i).spec().address();
  }

  public Path directory() {
    return dir;
  }

  /** Waits until node {@code i}'s curator answers GetCACertificate and returns the CA. */
  public X509Certificate awaitCurator(int i, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      if (!nodes.get(i).isAlive()) {
        throw new IllegalStateException("node " + i + " exited; its log:\n" + nodes.get(i).log());
      }
      ManagedChannel ch = RpcChannelBuilder.forAddress(address(i), 7835).insecure().build();
      try {
        var resp =
            CuratorLocalGrpc.newBlockingStub(ch)
                .withDeadlineAfter(2, TimeUnit.SECONDS)
                .getCACertificate(GetCACertificateRequest.getDefaultInstance());
        ca = Pem.parseCertificate(resp.getIdentityCaCertificate().toByteArray());
        return ca;
      } catch (RuntimeException e) {
        last = e;
      } finally {
        ch.shutdownNow();
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("node " + i + " did not serve within " + timeout + ": " + last);
  }

  public X509Certificate ca() {
    return ca;
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
    ManagedChannel ch =
        RpcChannelBuilder.forAddress(address(i), 7835)
            .ephemeralCredentials(key)
            .verifyNode(ca)
            .build();
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
    X509Certificate cert = ownerCertificate();
    return RpcChannelBuilder.forAddress(address(i), 7835)
        .clusterCredentials(cert, InsecureOwnerKey.keyPair().getPrivate())
        .verifyNode(ca)
        .build();
  }

  /** Hard restart of node {@code i} on its state: SIGKILL, then start again. */
  public void rebootNode(int i) throws Exception {
    nodes.get(i).kill();
    nodes.get(i).start();
  }

  @Override
  public void close() {
    for (NodeProcess n : nodes) {
      try {
        n.stop(Duration.ofSeconds(15));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort: the directory is under the system temp dir.
    }
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
