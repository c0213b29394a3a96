package dev.metropolis.osbase.logtree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DNTest {
  @ParameterizedTest
  @ValueSource(strings = {"root", "root.role.controlplane", "a_b.c-d", "root.console-/dev/tty0"})
  void acceptsValidDns(String value) {
    assertThat(DN.of(value).value()).isEqualTo(value);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Root", "a..b", ".a", "a.", "a b", "a.ü"})
  void rejectsInvalidDnsNamingThem(String value) {
    assertThatThrownBy(() -> DN.of(value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + value + "\"");
  }

  @Test
  void rejectsPartsLongerThan64() {
    String ok = "a".repeat(64);
    assertThat(DN.of("root." + ok).name()).isEqualTo(ok);
    String bad = "root." + "a".repeat(65);
    assertThatThrownBy(() -> DN.of(bad)).hasMessageContaining(bad);
  }

  @Test
  void childValidatesAndNamesTheName() {
    assertThat(DN.of("root").child("net")).isEqualTo(DN.of("root.net"));
    assertThat(DN.ROOT.child("root")).isEqualTo(DN.of("root"));
    assertThatThrownBy(() -> DN.of("root").child("a.b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"a.b\"")
        .hasMessageContaining("\"root\"");
  }

  @Test
  void navigation() {
    DN dn = DN.of("root.role.kubelet");
    assertThat(dn.parent()).isEqualTo(DN.of("root.role"));
    assertThat(dn.name()).isEqualTo("kubelet");
    assertThat(dn.parts()).isEqualTo(List.of("root", "role", "kubelet"));
    assertThat(DN.of("root").parent()).isEqualTo(DN.ROOT);
    assertThat(DN.ROOT.parent()).isEqualTo(DN.ROOT);
    assertThat(DN.ROOT.parts()).isEmpty();
    assertThat(DN.ROOT.isRoot()).isTrue();
  }

  @Test
  void containsIsPrefixByParts() {
    DN a = DN.of("a");
    assertThat(a.contains(a)).isTrue();
    assertThat(a.contains(DN.of("a.b"))).isTrue();
    assertThat(a.contains(DN.of("a.b.c"))).isTrue();
    assertThat(a.contains(DN.of("ab"))).isFalse();
    assertThat(a.contains(DN.of("a-b"))).isFalse();
    assertThat(DN.of("a.b").contains(a)).isFalse();
    assertThat(DN.ROOT.contains(DN.of("x.y"))).isTrue();
  }
}
