package dev.metropolis.node.roles;

import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.node.NodeConfig;
import dev.metropolis.node.enrolment.EnrolmentState;
import dev.metropolis.node.metrics.CoreMetrics;
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
 * Everything a node runs because of its membership and roles: the control plane (for consensus
 * members), the status push, the heartbeat and the node-local services (NodeManagement and
 * metrics). Each is its own runnable, so one crash-looping does not take the others down.
 */
public final class RoleServer implements SupervisedRunnable {
  private final NodeConfig config;
  private final NodeStorage storage;
  private final Value<EnrolmentState> enrolment;
  private final Value<String> address;
  private final LogTree logs;
  private final Supplier<List<RunnableInfo>> runnables;
  private final CoreMetrics metrics;

  public RoleServer(
      NodeConfig config,
      NodeStorage storage,
      Value<EnrolmentState> enrolment,
      Value<String> address,
      LogTree logs,
      Supplier<List<RunnableInfo>> runnables,
      CoreMetrics metrics) {
    this.config = config;
    this.storage = storage;
    this.enrolment = enrolment;
    this.address = address;
    this.logs = logs;
    this.runnables = runnables;
    this.metrics = metrics;
  }

  @Override
  public void run(Context ctx) throws Exception {
    Value<Boolean> localCurator = new MemoryValue<>(false);
    Value<NodeRoles> roles = new MemoryValue<>();
    ClusterLink link = new ClusterLink(config, storage, enrolment, address);
    ctx.run("rolefetch", new RoleFetch(link, storage, roles));
    ctx.run(
        "controlplane",
        new ControlPlane(
            config,
            storage,
            enrolment,
            address,
            roles,
            (etcd, state, initialRoles) ->
                new CuratorRunnable(
                    config,
                    storage,
                    etcd,
                    state,
                    initialRoles,
                    enrolment,
                    address,
                    localCurator,
                    metrics)));
    ctx.run("statuspush", new StatusPush(link, config, storage.platform(), localCurator));
    ctx.run("heartbeat", new Heartbeat(link));
    ctx.run("directory", new DirectoryRefresh(link, storage));
    ctx.run("nodemgmt", LocalServices.nodeManagement(link, logs, runnables));
    ctx.run("metrics", LocalServices.metrics(link, config, metrics, localCurator));
    ctx.signalHealthy();
    ctx.awaitCancel();
  }
}
