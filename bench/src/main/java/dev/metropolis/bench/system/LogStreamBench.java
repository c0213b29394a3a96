package dev.metropolis.bench.system;

import dev.metropolis.api.nodemanagement.GetLogsRequest;
import dev.metropolis.api.nodemanagement.GetLogsResponse;
import dev.metropolis.api.nodemanagement.NodeManagementGrpc;
import dev.metropolis.node.mgmt.NodeManagementService;
import dev.metropolis.osbase.logtree.DN;
import dev.metropolis.osbase.logtree.LogTree;
import dev.metropolis.osbase.logtree.Logger;
import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.rpc.RpcChannelBuilder;
import dev.metropolis.rpc.ServerSecurity;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Log streaming through NodeManagement.Logs as a node serves it: the real service and log tree
 * behind a real TLS gRPC server on loopback, followed by an owner client. Measures
 *
 * <ul>
 *   <li>the rate one follower receives entries at while a writer logs flat out (and how many it
 *       missed because it fell behind: the server drops rather than queues);
 *   <li>the writer's own rate with no reader and with that follower attached: the cost a busy node
 *       pays for being followed.
 * </ul>
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.metropolis.bench.system.LogStreamBench
 * [ENTRIES]} after {@code ./metropolis build}.
 */
public final class LogStreamBench {
  private LogStreamBench() {}

  public static void main(String[] argv) throws Exception {
    int entries = argv.length > 0 ? Integer.parseInt(argv[0]) : 1_000_000;
    KeyPair caKey = Ed25519.generate();
    X509Certificate ca = CertificateTemplates.clusterCa(caKey);
    KeyPair nodeKey = Ed25519.generate();
    X509Certificate nodeCert =
        CertificateTemplates.node(ca, caKey.getPrivate(), nodeKey.getPublic());
    KeyPair ownerKey = Ed25519.generate();
    X509Certificate owner =
        CertificateTemplates.user(ca, caKey.getPrivate(), ownerKey.getPublic(), "owner");

    LogTree tree = new LogTree();
    Logger busy = tree.logger(DN.of("root.busy"));
    NodeManagementService service = new NodeManagementService(tree, List::of);
    Server server =
        ServerSecurity.serverBuilder(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                ca,
                nodeCert,
                nodeKey.getPrivate())
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .addService(service)
            .build()
            .start();
    ManagedChannel ch =
        RpcChannelBuilder.forAddress("127.0.0.1", server.getPort())
            .clusterCredentials(owner, ownerKey.getPrivate())
            .verifyNode(ca, NodeId.of(nodeKey.getPublic()))
            .build();
    try {
      // Warm up the JIT on both paths before measuring.
      write(busy, entries / 4);
      follow(tree, service, ch, busy, entries / 4);

      double alone = write(busy, entries);
      Result followed = follow(tree, service, ch, busy, entries);
      System.out.printf(
          "LogStreamBench: %d entries, one writer thread, leveled entries of ~20 characters%n",
          entries);
      System.out.printf("  writer, no reader:            %,12.0f entries/s%n", alone);
      System.out.printf("  writer, one gRPC follower:    %,12.0f entries/s%n", followed.writer());
      System.out.printf(
          "  follower received:            %,12.0f entries/s (%,d received, %,d missed)%n",
          followed.follower(), followed.received(), followed.missed());
      System.out.printf(
          "  cost of being followed:       %.1f %% of the writer's rate%n",
          100.0 * (1 - followed.writer() / alone));
      double paced = 20_000;
      Result steady = follow(tree, service, ch, busy, entries / 10, paced);
      System.out.printf(
          "  paced writer at %,.0f/s:       %,d of %,d received, %,d missed%n",
          paced, steady.received(), entries / 10, steady.missed());
    } finally {
      ch.shutdownNow();
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static double write(Logger log, int n) {
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      log.info("entry number %d", i);
    }
    return n / ((System.nanoTime() - t0) / 1e9);
  }

  record Result(double writer, double follower, long received, long missed) {}

  private static Result follow(
      LogTree tree, NodeManagementService service, ManagedChannel ch, Logger log, int n)
      throws Exception {
    return follow(tree, service, ch, log, n, 0);
  }

  /** Writes {@code n} entries (at {@code rate}/s, or flat out when 0) while one client follows. */
  private static Result follow(
      LogTree tree,
      NodeManagementService service,
      ManagedChannel ch,
      Logger log,
      int n,
      double rate)
      throws Exception {
    AtomicLong received = new AtomicLong();
    AtomicLong lastAt = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    var ctx = io.grpc.Context.current().withCancellation();
    ctx.run(() ->
        NodeManagementGrpc.newStub(ch)
            .logs(
                GetLogsRequest.newBuilder()
                    .setDn("root.busy")
                    .setBacklogMode(GetLogsRequest.BacklogMode.BACKLOG_MODE_DISABLE)
                    .setStreamMode(GetLogsRequest.StreamMode.STREAM_MODE_UNBUFFERED)
                    .build(),
                new StreamObserver<GetLogsResponse>() {
                  @Override
                  public void onNext(GetLogsResponse r) {
                    received.addAndGet(r.getStreamEntriesCount());
                    lastAt.set(System.nanoTime());
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.countDown();
                  }

                  @Override
                  public void onCompleted() {
                    done.countDown();
                  }
                }));
    while (tree.streamingReaders() == 0) {
      Thread.sleep(1);
    }
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      if (rate > 0) {
        long due = t0 + (long) (i / rate * 1e9);
        while (System.nanoTime() < due) {
          Thread.onSpinWait();
        }
      }
      log.info("entry number %d", i);
    }
    long t1 = System.nanoTime();
    // The follower is done when everything not missed has arrived (or it stalls for 2 s).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    long seen = -1;
    long stableSince = System.nanoTime();
    while (received.get() + service.openStreams().getFirst().missed() < n
        && System.nanoTime() < deadline) {
      if (received.get() != seen) {
        seen = received.get();
        stableSince = System.nanoTime();
      } else if (System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(2)) {
        break;
      }
      Thread.sleep(5);
    }
    long missed = service.openStreams().getFirst().missed();
    long got = received.get();
    long end = Math.max(lastAt.get(), t1);
    ctx.cancel(null);
    done.await(10, TimeUnit.SECONDS);
    return new Result(n / ((t1 - t0) / 1e9), got / ((end - t0) / 1e9), got, missed);
  }
}
