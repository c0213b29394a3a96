package dev.metropolis.node.roles;

import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.node.NodeConfig;
import dev.metropolis.node.enrolment.EnrolmentState;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.event.MemoryValue;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;

/**
 * Everything a node runs because of its membership and roles: the control plane (for consensus
 * members), the status push and the heartbeat. Each is its own runnable, so one crash-looping does
 * not take the others down.
 */
public final class RoleServer implements SupervisedRunnable {
  private final NodeConfig config;
  private final NodeStorage storage;
  private final Value<EnrolmentState> enrolment;
  private final Value<String> address;

  public RoleServer(
      NodeConfig config,
      NodeStorage storage,
      Value<EnrolmentState> enrolment,
      Value<String> address) {
    this.config = config;
    this.storage = storage;
    this.enrolment = enrolment;
    this.address = address;
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
                    config, storage, etcd, state, initialRoles, enrolment, address, localCurator)));
    ctx.run("statuspush", new StatusPush(link, config, storage.platform(), localCurator));
    ctx.run("heartbeat", new Heartbeat(link));
    ctx.run("directory", new DirectoryRefresh(link, storage));
    ctx.signalHealthy();
    ctx.awaitCancel();
  }
}
