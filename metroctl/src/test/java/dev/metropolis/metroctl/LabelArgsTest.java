package dev.metropolis.metroctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.api.common.NodeLabels;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabelArgsTest {
  @Test
  void splitsAtTheFirstEquals() {
    assertThat(LabelArgs.upserts(List.of("rack=r1", "example.com/zone=a=b", "empty=")))
        .extracting(NodeLabels.Pair::getKey, NodeLabels.Pair::getValue)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("rack", "r1"),
            org.assertj.core.groups.Tuple.tuple("example.com/zone", "a=b"),
            org.assertj.core.groups.Tuple.tuple("empty", ""));
  }

  @Test
  void refusesMalformedOrRepeatedLabels() {
    assertThatThrownBy(() -> LabelArgs.upserts(List.of("rack")))
        .hasMessageContaining("KEY=VALUE")
        .hasMessageContaining("node unlabel");
    assertThatThrownBy(() -> LabelArgs.upserts(List.of("=v"))).hasMessageContaining("key is empty");
    assertThatThrownBy(() -> LabelArgs.upserts(List.of("a=1", "a=2")))
        .hasMessageContaining("\"a\" is given more than once");
  }

  @Test
  void deletesAreKeysOnceEach() {
    assertThat(LabelArgs.deletes(List.of("a", "b", "a"))).containsExactly("a", "b");
    assertThatThrownBy(() -> LabelArgs.deletes(List.of("a=1"))).hasMessageContaining("node label");
    assertThatThrownBy(() -> LabelArgs.deletes(List.of(""))).hasMessageContaining("empty");
  }
}
