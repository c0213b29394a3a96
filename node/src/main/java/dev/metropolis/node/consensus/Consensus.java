package dev.metropolis.node.consensus;

import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.ProcessRunnable;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import io.etcd.jetcd.Client;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * This node's etcd member: the etcd process ({@code <dn>.etcd}, its output in the log tree) and a
 * client to it, published once etcd answers. Both run in one group: if etcd dies, the client is
 * torn down with it and both restart together; users of the published client see a new one.
 */
public final class Consensus implements SupervisedRunnable {
  /** How long a started etcd may take to answer before it is considered failed. */
  static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

  private final EtcdConfig config;
  private final Value<Client> client;

  public Consensus(EtcdConfig config, Value<Client> client) {
    this.config = config;
    this.client = client;
  }

  @Override
  public void run(Context ctx) throws Exception {
    Files.createDirectories(config.dataDir().getParent());
    var credentials = Etcd.writeCredentials(config);
    ctx.logger()
        .info(
            "Starting etcd member %s (peer %s, %s cluster).",
            config.name(), config.peerUrl(), config.newCluster() ? "new" : "existing");
    Map<String, SupervisedRunnable> group = new LinkedHashMap<>();
    group.put("etcd", ProcessRunnable.of(new ProcessBuilder(Etcd.command(config, credentials))));
    group.put("client", this::publishClient);
    ctx.runGroup(group);
    ctx.signalHealthy();
    ctx.awaitCancel();
  }

  private void publishClient(Context ctx) throws Exception {
    Client c = Etcd.client(config);
    try {
      Instant deadline = Instant.now().plus(STARTUP_TIMEOUT);
      while (true) {
        ctx.checkCancelled();
        try {
          c.getMaintenanceClient().statusMember(config.clientUrl()).get(2, TimeUnit.SECONDS);
          break;
        } catch (java.util.concurrent.ExecutionException
            | java.util.concurrent.TimeoutException e) {
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
