package dev.metropolis.node.roles;

import com.google.protobuf.ByteString;
import dev.metropolis.api.Versions;
import dev.metropolis.api.common.NodeStatus;
import dev.metropolis.api.curator.CuratorGrpc;
import dev.metropolis.api.curator.UpdateNodeStatusRequest;
import dev.metropolis.node.NodeConfig;
import dev.metropolis.node.platform.Platform;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import java.util.concurrent.TimeUnit;

/**
 * Tells the cluster this node's status (address, version, boot ID, whether it runs a curator) when
 * it starts and whenever the local curator starts or stops. A failed RPC fails the runnable, which
 * reconnects after backoff.
 */
final class StatusPush implements SupervisedRunnable {
  private final ClusterLink link;
  private final NodeConfig config;
  private final Platform platform;
  private final Value<Boolean> localCurator;

  StatusPush(ClusterLink link, NodeConfig config, Platform platform, Value<Boolean> localCurator) {
    this.link = link;
    this.config = config;
    this.platform = platform;
    this.localCurator = localCurator;
  }

  @Override
  public void run(Context ctx) throws Exception {
    var creds = link.credentials();
    String id = NodeId.of(creds.key().getPublic());
    var curatorWatch = localCurator.watch();
    try {
      boolean running = curatorWatch.get();
      var ch = link.leader(creds);
      try {
        var stub = CuratorGrpc.newBlockingStub(ch);
        while (true) {
          var status =
              NodeStatus.newBuilder()
                  .setExternalAddress(link.address())
                  .setVersion(Versions.current())
                  .setBootId(ByteString.copyFrom(platform.bootId()));
          if (running) {
            status.setRunningCurator(
                NodeStatus.RunningCurator.newBuilder().setPort(config.curatorPort()));
          }
          stub.withDeadlineAfter(10, TimeUnit.SECONDS)
              .updateNodeStatus(
                  UpdateNodeStatusRequest.newBuilder().setNodeId(id).setStatus(status).build());
          ctx.logger()
              .info(
                  "Status pushed (address %s, curator %s).",
                  link.address(), running ? "running" : "not running");
          if (ctx.state() == dev.metropolis.osbase.supervisor.RunnableState.NEW) {
            ctx.signalHealthy();
          }
          boolean was = running;
          running = curatorWatch.get(v -> v != was);
        }
      } finally {
        ch.close();
      }
    } finally {
      curatorWatch.close();
    }
  }
}
