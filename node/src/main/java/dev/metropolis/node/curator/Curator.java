package dev.metropolis.node.curator;

import dev.metropolis.api.storage.LeaderElectionValue;
import dev.metropolis.osbase.logtree.Logger;
import io.etcd.jetcd.Client;
import java.time.Duration;

/**
 * The curator's election loop: campaign, lead until the lease is lost, step down, campaign again.
 * While leading, {@link LeaderState} holds the tenure so the leader-only services answer; otherwise
 * they refuse and only CuratorLocal serves.
 */
public final class Curator {
  public static final Duration LEADER_TTL = Duration.ofSeconds(10);

  private final Client etcd;
  private final String nodeId;
  private final Duration ttl;
  private final LeaderState state;

  public Curator(Client etcd, String nodeId, Duration ttl, LeaderState state) {
    this.etcd = etcd;
    this.nodeId = nodeId;
    this.ttl = ttl;
    this.state = state;
  }

  /**
   * Runs until interrupted. Returns normally never; a failure to reach etcd propagates so the
   * supervisor restarts the loop with backoff.
   *
   * @param onFirstCampaign called once the loop is running (to signal health)
   */
  public void run(Logger log, Runnable onFirstCampaign) throws Exception {
    byte[] proposal =
        LeaderElectionValue.newBuilder()
            .setNodeId(nodeId)
            .setTtl(ttl.toSeconds())
            .build()
            .toByteArray();
    LeaderElection election = new LeaderElection(etcd, ttl);
    boolean first = true;
    while (!Thread.currentThread().isInterrupted()) {
      if (first) {
        onFirstCampaign.run();
        first = false;
      }
      log.info("Campaigning for curator leadership...");
      Leadership l =
          election.campaign(
              proposal,
              v -> {
                try {
                  return LeaderElectionValue.parseFrom(v).getNodeId().equals(nodeId);
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                  return false;
                }
              });
      CuratorLeader tenure = new CuratorLeader(etcd, l, nodeId, System::nanoTime);
      state.set(tenure);
      log.info("Became curator leader (fencing revision %d).", l.revision());
      Thread background =
          Thread.ofVirtual()
              .name("curator-background")
              .start(() -> {
                try {
                  new Background(tenure, log).run();
                } catch (InterruptedException e) {
                  // The tenure ended.
                }
              });
      try {
        l.lost().get();
        log.warning("Lost curator leadership.");
      } finally {
        background.interrupt();
        state.clear(tenure);
        l.close();
      }
    }
    throw new InterruptedException();
  }
}
