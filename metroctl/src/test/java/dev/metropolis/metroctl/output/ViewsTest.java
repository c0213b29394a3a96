package dev.metropolis.metroctl.output;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.curator.GetConsensusStatusResponse.EtcdMember;
import dev.metropolis.api.management.Node;
import dev.metropolis.metroctl.ConfigKey;
import dev.metropolis.metroctl.ConfigKeyTest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** The tables and JSON lines of approve, cluster consensus and cluster configure get. */
class ViewsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static final String ID = "metropolis-00112233445566778899aabbccddeeff";

  static Node pending() {
    byte[] key = new byte[32];
    for (int i = 0; i < key.length; i++) {
      key[i] = (byte) (i * 0x11);
    }
    return Node.newBuilder()
        .setId(ID)
        .setPubkey(ByteString.copyFrom(key))
        .setState(NodeState.NODE_STATE_NEW)
        .build();
  }

  @Test
  void pendingNodesShowTheirWholePublicKeyInHex() {
    String key = HexFormat.of().formatHex(pending().getPubkey().toByteArray());
    assertThat(PendingNodeView.table(List.of(pending())).render())
        .isEqualTo(
            "NODE ID"
                + " ".repeat(ID.length() - 4)
                + "PUBKEY"
                + " ".repeat(key.length() - 3)
                + "\n"
                + ID
                + "   "
                + key
                + "   \n");
    JsonNode j = JSON.readTree(PendingNodeView.json(pending()));
    assertThat(j.get("id").asString()).isEqualTo(ID);
    assertThat(j.get("pubkey").asString()).isEqualTo(key).hasSize(64);
  }

  @Test
  void consensusMembersShowTheirStatusWithoutPrefix() {
    var members =
        List.of(
            EtcdMember.newBuilder().setId(ID).setStatus(EtcdMember.Status.STATUS_FULL).build(),
            EtcdMember.newBuilder()
                .setId("metropolis-ffeeddccbbaa99887766554433221100")
                .setStatus(EtcdMember.Status.STATUS_LEARNER)
                .build(),
            EtcdMember.newBuilder().setId("x").build());
    List<String> lines = ConsensusView.table(members).render().lines().toList();
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).startsWith("NODE ID ").contains("STATUS");
    assertThat(lines.get(1)).matches(ID + " +FULL +");
    assertThat(lines.get(2)).matches("metropolis-f+e+.* +LEARNER +");
    assertThat(lines.get(3)).matches("x +UNKNOWN +");
    JsonNode j = JSON.readTree(ConsensusView.json(members.get(1)));
    assertThat(j.get("status").asString()).isEqualTo("LEARNER");
    assertThat(j.get("id").asString()).startsWith("metropolis-ff");
  }

  @Test
  void configurationTableHasEveryKey() {
    List<String> lines = ConfigView.table(ConfigKeyTest.CONFIG).render().lines().toList();
    assertThat(lines.get(0)).matches("KEY +VALUE +");
    assertThat(lines.subList(1, lines.size()))
        .hasSize(ConfigKey.values().length)
        .anySatisfy(l -> assertThat(l).matches("tpm_mode +\"best-effort\" *"))
        .anySatisfy(l ->
            assertThat(l)
                .matches(
                    "kubernetes\\.node_labels_to_synchronize +\"foo\", \"example\\\\\\\\\\.com/\\.\\*\" *"));
  }

  @Test
  void configurationJsonIsAListForListsAndAStringOtherwise() {
    JsonNode list =
        JSON.readTree(ConfigView.json(ConfigKey.NODE_LABELS_TO_SYNCHRONIZE, ConfigKeyTest.CONFIG));
    assertThat(list.get("key").asString()).isEqualTo("kubernetes.node_labels_to_synchronize");
    assertThat(list.get("value").isArray()).isTrue();
    assertThat(list.get("value").get(1).asString()).isEqualTo("example\\.com/.*");
    JsonNode scalar = JSON.readTree(ConfigView.json(ConfigKey.TPM_MODE, ConfigKeyTest.CONFIG));
    assertThat(scalar.get("value").asString()).isEqualTo("best-effort");
  }
}
