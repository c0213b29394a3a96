package dev.metropolis.node.curator;

import dev.metropolis.api.storage.Node;
import dev.metropolis.osbase.logtree.Logger;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The leader's background reconciliation (reference §3.3), level-triggered every {@link #INTERVAL}:
 *
 * <ul>
 *   <li>asks etcd to promote every learner (etcd refuses until the learner has caught up, so this
 *       simply repeats until it succeeds);
 *   <li>makes etcd membership and the ConsensusMember role agree, at most one change per pass:
 *       removes members whose node no longer exists and learners whose node never got the role,
 *       then drops the role (and KubernetesController, which needs it) from nodes that are no
 *       longer members.
 * </ul>
 *
 * If the leader cannot find itself among both the members and the nodes, it changes nothing: its
 * view is then too wrong to act on. The decision is {@link #decide}, free of I/O.
 */
final class Background {
  /** Shorter than the reference's 5 s: learners get promoted sooner after they caught up. */
  static final Duration INTERVAL = Duration.ofSeconds(2);

  /** One change to membership or roles. */
  sealed interface Action {
    record RemoveMember(ConsensusMembers.Member member) implements Action {}

    record DropConsensusRole(String nodeId) implements Action {}
  }

  private final CuratorLeader leader;
  private final Logger log;

  Background(CuratorLeader leader, Logger log) {
    this.leader = leader;
    this.log = log;
  }

  static Optional<Action> decide(
      String leaderId, List<ConsensusMembers.Member> members, List<Node> nodes) {
    boolean leaderIsMember = members.stream().anyMatch(m -> m.name().equals(leaderId));
    boolean leaderIsNode = nodes.stream().anyMatch(n -> n.getId().equals(leaderId));
    if (!leaderIsMember || !leaderIsNode) {
      return Optional.empty();
    }
    Set<String> nodeIds = new HashSet<>();
    nodes.forEach(n -> nodeIds.add(n.getId()));
    Set<String> withRole = new HashSet<>();
    nodes.stream()
        .filter(n -> n.getRoles().hasConsensusMember())
        .forEach(n -> withRole.add(n.getId()));
    Set<String> memberNodes = new HashSet<>();
    for (var m : members) {
      var owner = ConsensusMembers.nodeOf(m, members, leaderId, nodes);
      if (owner.isEmpty() || !nodeIds.contains(owner.get())) {
        return Optional.of(new Action.RemoveMember(m));
      }
      // A learner whose node never got the role: UpdateNodeRoles added it but failed to store
      // the role (both happen under the membership lock we hold, so it is not in progress). It
      // would block every later learner (etcd admits one at a time) and cannot affect quorum.
      if (m.learner() && !withRole.contains(owner.get())) {
        return Optional.of(new Action.RemoveMember(m));
      }
      memberNodes.add(owner.get());
    }
    for (var n : nodes) {
      if (n.getRoles().hasConsensusMember() && !memberNodes.contains(n.getId())) {
        return Optional.of(new Action.DropConsensusRole(n.getId()));
      }
    }
    return Optional.empty();
  }

  /** Runs until interrupted or until the tenure ends. */
  void run() throws InterruptedException {
    while (!leader.leadership().lost().isDone()) {
      try {
        pass();
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        log.warning("Background reconciliation failed: %s", e);
      }
      Thread.sleep(INTERVAL.toMillis());
    }
  }

  void pass() throws Exception {
    leader.membershipLock().lockInterruptibly();
    try {
      var members = leader.members().list();
      for (var m : members) {
        if (m.learner() && !m.name().isEmpty() && leader.members().promote(m)) {
          log.info("Promoted etcd learner %s to a voting member.", m.name());
        }
      }
      members = leader.members().list();
      var action = decide(leader.nodeId(), members, leader.nodes().list());
      if (action.isEmpty()) {
        return;
      }
      // Membership changes are not fenced by etcd: check we still lead right before.
      leader.leadership().txn(List.of());
      switch (action.get()) {
        case Action.RemoveMember r -> {
          if (leader.members().removeOrphan(r.member())) {
            log.info(
                "Removed etcd member %016x (%s): no node holds its ConsensusMember role.",
                r.member().id(), r.member().firstPeerUrl());
          }
        }
        case Action.DropConsensusRole d -> {
          leader
              .nodes()
              .update(
                  leader.leadership(),
                  d.nodeId(),
                  n -> {
                    var roles =
                        n.getRoles().toBuilder().clearConsensusMember().clearKubernetesController();
                    return n.toBuilder().setRoles(roles.build()).build();
                  });
          log.info(
              "Node %s is no longer an etcd member: dropped its ConsensusMember role.", d.nodeId());
        }
      }
    } finally {
      leader.membershipLock().unlock();
    }
  }
}
