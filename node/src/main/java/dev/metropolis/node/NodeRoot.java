package dev.metropolis.node;

import dev.metropolis.api.Versions;
import dev.metropolis.node.enrolment.Enrolment;
import dev.metropolis.node.enrolment.EnrolmentState;
import dev.metropolis.node.metrics.CoreMetrics;
import dev.metropolis.node.network.NetworkService;
import dev.metropolis.node.roles.RoleServer;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.event.MemoryValue;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.logtree.LogTree;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.RunnableInfo;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import java.util.List;
import java.util.function.Supplier;

/**
 * The root of a node's runnable tree: network, enrolment and the role server (which also serves the
 * node's logs, runnables and metrics once it is a member). The network service publishes the node's
 * address (given, or leased over DHCP); everything that needs it (the role server's control plane,
 * curator listener, status push) waits for that value.
 */
public final class NodeRoot implements SupervisedRunnable {
  private final NodeConfig config;
  private final NodeStorage storage;

  private final LogTree logs;
  private final Supplier<List<RunnableInfo>> runnables;

  /**
   * @param logs the node's log tree, served by NodeManagement.Logs
   * @param runnables the supervision tree's current runnables, for GetRunnables and metrics
   */
  public NodeRoot(
      NodeConfig config,
      NodeStorage storage,
      LogTree logs,
      Supplier<List<RunnableInfo>> runnables) {
    this.config = config;
    this.storage = storage;
    this.logs = logs;
    this.runnables = runnables;
  }

  @Override
  public void run(Context ctx) throws Exception {
    ctx.logger()
        .info(
            "Metropolis node core %s starting (platform %s, state %s).",
            Versions.format(Versions.current()), storage.platform().name(), config.stateDir());
    Value<String> address = new MemoryValue<>();
    Value<EnrolmentState> enrolment = new MemoryValue<>();
    ctx.run("network", NetworkService.forThisProcess(config.network(), address));
    ctx.run("enrolment", new Enrolment(storage, enrolment, config.curatorPort()));
    ctx.run(
        "role",
        new RoleServer(
            config, storage, enrolment, address, logs, runnables, new CoreMetrics(runnables)));
    ctx.signalHealthy();
    ctx.awaitCancel();
  }
}
