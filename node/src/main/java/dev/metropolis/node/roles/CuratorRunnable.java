package dev.metropolis.node.roles;

import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.node.NodeConfig;
import dev.metropolis.node.curator.AaaService;
import dev.metropolis.node.curator.Curator;
import dev.metropolis.node.curator.CuratorLeader;
import dev.metropolis.node.curator.CuratorLocalService;
import dev.metropolis.node.curator.CuratorService;
import dev.metropolis.node.curator.LeaderState;
import dev.metropolis.node.curator.ManagementService;
import dev.metropolis.node.enrolment.BootstrapFinish;
import dev.metropolis.node.enrolment.EnrolmentState;
import dev.metropolis.node.metrics.CoreMetrics;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import dev.metropolis.rpc.ServerSecurity;
import io.etcd.jetcd.Client;
import io.grpc.Server;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The curator beside this node's etcd member: finishes a pending bootstrap, then serves the curator
 * APIs ({@code listener}) and takes part in leader election ({@code election}). Publishes whether a
 * local curator runs, for the node's status.
 */
public final class CuratorRunnable implements SupervisedRunnable {
  /** Makes the curator runnable for one control plane start. */
  @FunctionalInterface
  public interface Factory {
    SupervisedRunnable create(Value<Client> etcd, EnrolmentState state, NodeRoles roles);
  }

  private final NodeConfig config;
  private final NodeStorage storage;
  private final Value<Client> etcd;
  private final EnrolmentState state;
  private final NodeRoles roles;
  private final Value<EnrolmentState> enrolment;
  private final Value<String> address;
  private final Value<Boolean> localCurator;
  private final CoreMetrics metrics;

  public CuratorRunnable(
      NodeConfig config,
      NodeStorage storage,
      Value<Client> etcd,
      EnrolmentState state,
      NodeRoles roles,
      Value<EnrolmentState> enrolment,
      Value<String> address,
      Value<Boolean> localCurator,
      CoreMetrics metrics) {
    this.config = config;
    this.storage = storage;
    this.etcd = etcd;
    this.state = state;
    this.roles = roles;
    this.enrolment = enrolment;
    this.address = address;
    this.localCurator = localCurator;
    this.metrics = metrics;
  }

  @Override
  public void run(Context ctx) throws Exception {
    Client client = ControlPlane.get(etcd);
    String addr = ControlPlane.get(address);
    NodeStorage.Credentials creds =
        switch (state) {
          case EnrolmentState.Member m -> m.credentials();
          case EnrolmentState.Bootstrapping b -> {
            ctx.logger().info("Writing the new cluster's founding records...");
            var c = BootstrapFinish.run(client.getKVClient(), b.data(), roles, addr, storage);
            enrolment.set(new EnrolmentState.Member(c));
            yield c;
          }
        };
    String id = NodeId.of(creds.key().getPublic());
    LeaderState leader =
        new LeaderState(() -> CuratorLocalService.describeLeader(client, config.curatorPort()));
    AtomicReference<String> currentAddress = new AtomicReference<>(addr);
    ctx.run(
        "listener",
        c -> {
          Server server =
              ServerSecurity.serverBuilder(
                      new InetSocketAddress(addr, config.curatorPort()),
                      creds.ca(),
                      creds.certificate(),
                      creds.key().getPrivate())
                  .executor(Executors.newVirtualThreadPerTaskExecutor())
                  .permitKeepAliveTime(1, TimeUnit.SECONDS)
                  .permitKeepAliveWithoutCalls(true)
                  // Added last, so it runs first: refusals by the authorization check count too.
                  .intercept(metrics.curatorRpc())
                  .addService(
                      new CuratorLocalService(
                          client, leader, id, currentAddress::get, config.curatorPort()))
                  .addService(new ManagementService(leader))
                  .addService(new AaaService(leader))
                  .addService(new CuratorService(leader, Clock.systemUTC()))
                  .build()
                  .start();
          c.logger().info("Curator serving on %s:%d.", addr, config.curatorPort());
          c.signalHealthy();
          try {
            c.awaitCancel();
          } finally {
            server.shutdownNow();
            server.awaitTermination(5, TimeUnit.SECONDS);
          }
        });
    ctx.run(
        "election",
        c -> new Curator(client, id, Curator.LEADER_TTL, leader).run(c.logger(), c::signalHealthy));
    metrics.heartbeatSource(
        () -> leader.current().map(CuratorLeader::heartbeatAges).orElse(Map.of()));
    localCurator.set(true);
    ctx.signalHealthy();
    try {
      ctx.awaitCancel();
    } finally {
      localCurator.set(false);
      metrics.heartbeatSource(null);
    }
  }
}
