package dev.metropolis.node.consensus;

import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.ProcessRunnable;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * This node's etcd member, as two runnables meant to run in one supervisor group together with
 * everything that uses etcd: {@link #process()} (the etcd process, its output in the log tree at
 * its own DN) and {@link #client()} (waits until etcd answers, then publishes a client). If etcd
 * dies, the group's members are cancelled and restarted together, so no user keeps a client of a
 * dead etcd.
 */
public final class Consensus {
  /** How long a started etcd may take to answer before it is considered failed. */
  static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

  private final EtcdConfig config;
  private final Value<Client> client;

  public Consensus(EtcdConfig config, Value<Client> client) {
    this.config = config;
    this.client = client;
  }

  /** The etcd process; credential files are (re)written at every start. */
  public SupervisedRunnable process() {
    return ctx -> {
      ProcessRunnable.of(new ProcessBuilder(Etcd.command(config, prepare()))).run(ctx);
    };
  }

  private java.util.List<java.nio.file.Path> prepare() throws IOException {
    Files.createDirectories(config.dataDir().getParent());
    return Etcd.writeCredentials(config);
  }

  /** One line describing the member, for the log of whoever starts it. */
  public String describe() {
    return String.format(
        "etcd member %s (peer %s, %s cluster)",
        config.name(), config.peerUrl(), config.newCluster() ? "new" : "existing");
  }

  /**
   * Publishes a client once the local member answers as a full (voting) member; closes it when
   * cancelled.
   */
  public SupervisedRunnable client() {
    return this::publishClient;
  }

  /**
   * Waits until etcd accepts connections on its client port. The client's first call must not find
   * the port closed: gRPC then waits out its reconnect back-off (about a second) before trying
   * again, although etcd alone is ready within a tenth of that.
   */
  private void awaitListening(Context ctx, Instant deadline) throws Exception {
    java.net.URI url = java.net.URI.create(config.clientUrl());
    var address = new java.net.InetSocketAddress(url.getHost(), url.getPort());
    while (true) {
      ctx.checkCancelled();
      try (var s = new java.net.Socket()) {
        s.connect(address, 200);
        return;
      } catch (IOException e) {
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException("etcd did not listen within " + STARTUP_TIMEOUT, e);
        }
        Thread.sleep(LISTEN_POLL.toMillis());
      }
    }
  }

  private static final Duration LISTEN_POLL = Duration.ofMillis(20);

  private void publishClient(Context ctx) throws Exception {
    Client c = Etcd.client(config);
    try {
      Instant deadline = Instant.now().plus(STARTUP_TIMEOUT);
      awaitListening(ctx, deadline);
      int polls = 0;
      while (true) {
        ctx.checkCancelled();
        try {
          var status =
              c.getMaintenanceClient().statusMember(config.clientUrl()).get(2, TimeUnit.SECONDS);
          if (!status.isLearner()) {
            break;
          }
          // A learner cannot serve the curator; it is promoted once it has caught up.
          if (polls++ % 10 == 0) {
            ctx.logger().info("Still a learner, waiting to be promoted...");
          }
          deadline = Instant.now().plus(STARTUP_TIMEOUT);
          Thread.sleep(1000);
        } catch (ExecutionException | TimeoutException e) {
          if (Instant.now().isAfter(deadline)) {
            throw new IllegalStateException("etcd did not answer within " + STARTUP_TIMEOUT, e);
          }
          Thread.sleep(200);
        }
      }
      ctx.logger().info("etcd is serving at %s.", config.clientUrl());
      client.set(c);
      ctx.signalHealthy();
      ctx.awaitCancel();
    } finally {
      c.close();
    }
  }
}
