package dev.metropolis.node.curator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.api.common.NodeLabels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeLabelRulesTest {
  private static NodeLabels.Pair pair(String k, String v) {
    return NodeLabels.Pair.newBuilder().setKey(k).setValue(v).build();
  }

  @Test
  void keysMayHaveADnsPrefixAndNamesAndValuesFollowTheCharacterRules() {
    assertThat(NodeLabelRules.keyProblem("test-node-number")).isEmpty();
    assertThat(NodeLabelRules.keyProblem("example.com/key.a_b")).isEmpty();
    assertThat(NodeLabelRules.keyProblem("a")).isEmpty();
    assertThat(NodeLabelRules.keyProblem("")).isPresent();
    assertThat(NodeLabelRules.keyProblem("-a")).isPresent();
    assertThat(NodeLabelRules.keyProblem("a-")).isPresent();
    assertThat(NodeLabelRules.keyProblem("x".repeat(64))).isPresent();
    assertThat(NodeLabelRules.keyProblem("x".repeat(63))).isEmpty();
    assertThat(NodeLabelRules.keyProblem("Example.com/key"))
        .hasValueSatisfying(p -> assertThat(p).contains("prefix"));
    assertThat(NodeLabelRules.keyProblem("/key")).isPresent();
    assertThat(NodeLabelRules.keyProblem("a b")).isPresent();
    assertThat(NodeLabelRules.valueProblem("v1.0")).isEmpty();
    assertThat(NodeLabelRules.valueProblem("")).isPresent();
    assertThat(NodeLabelRules.valueProblem("a/b")).isPresent();
  }

  @Test
  void sanitizeDropsInvalidAndDuplicatePairsAndKeepsAtMost128() {
    var in = NodeLabels.newBuilder().addPairs(pair("ok", "1")).addPairs(pair("bad key", "1"));
    in.addPairs(pair("ok", "2"));
    for (int i = 0; i < 200; i++) {
      in.addPairs(pair("k" + i, "v"));
    }
    NodeLabels out = NodeLabelRules.sanitize(in.build());
    assertThat(out.getPairsCount()).isEqualTo(128);
    assertThat(out.getPairs(0)).isEqualTo(pair("ok", "1"));
    assertThat(out.getPairsList()).noneMatch(p -> p.getKey().equals("bad key"));
  }

  @Test
  void applyUpsertsAndDeletesInOneStep() throws Exception {
    var cur = NodeLabels.newBuilder().addPairs(pair("a", "1")).addPairs(pair("b", "2")).build();
    var out =
        NodeLabelRules.apply(cur, List.of(pair("a", "9"), pair("c", "3")), List.of("b", "zz"));
    assertThat(out.getPairsList()).containsExactly(pair("a", "9"), pair("c", "3"));
  }

  @Test
  void applyRefusesBadInputNamingTheField() {
    var none = NodeLabels.getDefaultInstance();
    assertThatThrownBy(() -> NodeLabelRules.apply(none, List.of(pair("-x", "1")), List.of()))
        .isInstanceOf(NodeLabelRules.Refusal.class)
        .hasMessageContaining("upsert[0].key");
    assertThatThrownBy(() -> NodeLabelRules.apply(none, List.of(pair("x", "")), List.of()))
        .hasMessageContaining("upsert[0].value");
    assertThatThrownBy(() -> NodeLabelRules.apply(none, List.of(pair("x", "1")), List.of("x")))
        .hasMessageContaining("delete[0]")
        .hasMessageContaining("also upserted");
    assertThatThrownBy(
            () -> NodeLabelRules.apply(none, List.of(pair("x", "1"), pair("x", "2")), List.of()))
        .hasMessageContaining("upsert[1].key");
    List<NodeLabels.Pair> many = new ArrayList<>();
    for (int i = 0; i < 129; i++) {
      many.add(pair("k" + i, "v"));
    }
    assertThatThrownBy(() -> NodeLabelRules.apply(none, many, List.of()))
        .isInstanceOfSatisfying(NodeLabelRules.Refusal.class, r -> assertThat(r.tooMany()).isTrue())
        .hasMessageContaining("129");
  }
}
