package dev.metropolis.node.roles;

import dev.metropolis.kubernetes.apiserver.Loopback;
import dev.metropolis.kubernetes.controllers.ControllerConfig;
import dev.metropolis.kubernetes.controllers.ControllerManager;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Clock;

/**
 * The controllers and the scheduler beside this node's API server, talking to it with its loopback
 * credential. Every controller node runs one; they elect a leader on a Lease, so only one acts.
 */
final class KubernetesControllers implements SupervisedRunnable {
  private final Loopback api;
  private final String nodeId;

  KubernetesControllers(Loopback api, String nodeId) {
    this.api = api;
    this.nodeId = nodeId;
  }

  @Override
  public void run(Context ctx) throws Exception {
    // Config.empty(): nothing from ~/.kube/config, the environment or a service account.
    // Watches as HTTP streams, not WebSockets: streams share one HTTP/2 connection, where each
    // WebSocket (HTTP/1.1 only) took a connection and a TLS handshake of its own, a dozen in all.
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(api.url())
            .withNamespace("default")
            .withOnlyHttpWatches(true)
            .build();
    try (KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(config)
            .withHttpClientBuilderConsumer(
                b -> b.sslContext(api.keyManagers(), api.trustManagers()))
            .build()) {
      ControllerManager controllers =
          ControllerManager.start(
              new ControllerConfig(client, nodeId, Clock.systemUTC(), ctx.logger()));
      try {
        ctx.signalHealthy();
        ctx.awaitCancel();
      } finally {
        controllers.close();
      }
    }
  }
}
