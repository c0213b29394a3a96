package dev.metropolis.node.roles;

import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.curator.Node;
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
import io.etcd.jetcd.Client;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Everything a node runs because of its membership and roles: the control plane (for consensus
 * members), the Kubernetes controller and worker roles, the status push, the heartbeat, the view of
 * the cluster's nodes and the node-local services (NodeManagement and metrics). Each is its own
 * runnable, so one crash-looping does not take the others down.
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
    MemoryValue<Optional<Client>> localEtcd = new MemoryValue<>(Optional.empty());
    MemoryValue<Map<String, Node>> clusterNodes = new MemoryValue<>();
    ClusterLink link = new ClusterLink(config, storage, enrolment, address);
    ctx.run("rolefetch", new RoleFetch(link, storage, roles));
    ctx.run("nodes", new ClusterNodes(link, clusterNodes));
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
                    metrics),
            localEtcd));
    ctx.run("kubecontroller", new KubernetesController(link, roles, localEtcd, clusterNodes));
    ctx.run("kubeworker", new KubernetesWorker(link, storage, roles, clusterNodes));
    ctx.run("statuspush", new StatusPush(link, config, storage.platform(), localCurator));
    ctx.run("heartbeat", new Heartbeat(link));
    ctx.run("directory", new DirectoryRefresh(clusterNodes, storage));
    ctx.run("nodemgmt", LocalServices.nodeManagement(link, logs, runnables));
    ctx.run("metrics", LocalServices.metrics(link, config, metrics, localCurator));
    ctx.signalHealthy();
    ctx.awaitCancel();
  }
}
