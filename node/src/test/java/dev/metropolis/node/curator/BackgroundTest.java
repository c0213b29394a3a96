package dev.metropolis.node.curator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.common.NodeStatus;
import dev.metropolis.api.storage.Node;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackgroundTest {
  private static final String A = "metropolis-" + "a".repeat(32);
  private static final String B = "metropolis-" + "b".repeat(32);
  private static final NodeRoles CONSENSUS =
      NodeRoles.newBuilder()
          .setConsensusMember(NodeRoles.ConsensusMember.getDefaultInstance())
          .build();

  private static ConsensusMembers.Member member(long id, String name, String url, boolean learner) {
    return new ConsensusMembers.Member(id, name, List.of(URI.create(url)), learner);
  }

  private static Node node(String id, String addr, NodeRoles roles) {
    return Node.newBuilder()
        .setId(id)
        .setRoles(roles)
        .setStatus(NodeStatus.newBuilder().setExternalAddress(addr))
        .build();
  }

  @Test
  void nothingToDoWhenMembershipAndRolesAgree() {
    var members =
        List.of(
            member(1, A, "https://10.0.0.1:7834", false),
            // Not started yet: known by the URL the leader gave it.
            member(2, "", "https://10.0.0.2:7834", true));
    var nodes = List.of(node(A, "10.0.0.1", CONSENSUS), node(B, "10.0.0.2", CONSENSUS));
    assertThat(Background.decide(A, members, nodes)).isEmpty();
  }

  @Test
  void leaderMissingFromItsOwnViewChangesNothing() {
    var members = List.of(member(2, B, "https://10.0.0.2:7834", false));
    var nodes = List.of(node(A, "10.0.0.1", CONSENSUS));
    assertThat(Background.decide(A, members, nodes)).isEmpty();
  }

  @Test
  void memberOfADeletedNodeIsRemovedFirst() {
    var gone = member(2, B, "https://10.0.0.2:7834", false);
    var members = List.of(member(1, A, "https://10.0.0.1:7834", false), gone);
    var nodes =
        List.of(
            node(A, "10.0.0.1", CONSENSUS),
            node("metropolis-" + "c".repeat(32), "10.0.0.3", CONSENSUS));
    assertThat(Background.decide(A, members, nodes))
        .contains(new Background.Action.RemoveMember(gone));
  }

  @Test
  void roleOfANodeThatIsNoLongerAMemberIsDropped() {
    var members = List.of(member(1, A, "https://10.0.0.1:7834", false));
    var nodes = List.of(node(A, "10.0.0.1", CONSENSUS), node(B, "10.0.0.2", CONSENSUS));
    assertThat(Background.decide(A, members, nodes))
        .contains(new Background.Action.DropConsensusRole(B));
  }

  @Test
  void learnerOfANodeWithoutTheRoleIsRemoved() {
    var stray = member(2, "", "https://10.0.0.2:7834", true);
    var members = List.of(member(1, A, "https://10.0.0.1:7834", false), stray);
    var nodes =
        List.of(
            node(A, "10.0.0.1", CONSENSUS), node(B, "10.0.0.2", NodeRoles.getDefaultInstance()));
    assertThat(Background.decide(A, members, nodes))
        .contains(new Background.Action.RemoveMember(stray));
  }

  @Test
  void voterOfANodeWithoutTheRoleIsKept() {
    // The reference adds the role back here; without its payload we leave both alone.
    var members =
        List.of(
            member(1, A, "https://10.0.0.1:7834", false),
            member(2, B, "https://10.0.0.2:7834", false));
    var nodes =
        List.of(
            node(A, "10.0.0.1", CONSENSUS), node(B, "10.0.0.2", NodeRoles.getDefaultInstance()));
    assertThat(Background.decide(A, members, nodes)).isEmpty();
  }
}
