package dev.metropolis.osbase.logtree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsoleFilterTest {
  private static final Instant TS = Instant.EPOCH;

  private static LogEntry leveled(String dn, Severity s) {
    return new LogEntry.Leveled(DN.of(dn), 1, TS, s, "F.java:1", List.of("m"));
  }

  private static LogEntry raw(String dn) {
    return new LogEntry.Raw(DN.of(dn), 1, TS, "r", 1);
  }

  private final ConsoleFilter node = ConsoleFilter.node();

  @Test
  void noisyComponentsShowOnlyWarningsAndAbove() {
    String etcd = "root.role.controlplane.launcher.consensus.etcd";
    assertThat(node.test(leveled(etcd, Severity.INFO))).isFalse();
    assertThat(node.test(leveled(etcd, Severity.WARNING))).isTrue();
    assertThat(node.test(leveled(etcd, Severity.ERROR))).isTrue();
    assertThat(node.test(leveled(etcd, Severity.FATAL))).isTrue();
    assertThat(node.test(raw(etcd))).isFalse();
    for (String c : List.of("kubelet", "apiserver", "controller-manager", "scheduler")) {
      String dn = "root.role.kubernetes.run.kubernetes." + c;
      assertThat(node.test(leveled(dn, Severity.INFO))).as(dn).isFalse();
      assertThat(node.test(leveled(dn, Severity.WARNING))).as(dn).isTrue();
    }
  }

  @Test
  void noisySubtreeCoversDescendants() {
    assertThat(node.test(leveled("root.consensus.etcd.raft", Severity.INFO))).isFalse();
    assertThat(node.test(raw("root.consensus.etcd.raft"))).isFalse();
  }

  @Test
  void namesMatchWholePartsOnly() {
    assertThat(node.test(leveled("root.etcdctl", Severity.INFO))).isTrue();
    assertThat(node.test(leveled("root.myetcd", Severity.INFO))).isTrue();
    assertThat(node.test(leveled("root.etcd_proxy", Severity.INFO))).isTrue();
    assertThat(node.test(raw("root.kernelx"))).isTrue();
    assertThat(node.test(leveled("root.grpc", Severity.INFO))).isTrue();
  }

  @Test
  void hiddenSubtreesShowNothing() {
    assertThat(node.test(raw("root.kernel"))).isFalse();
    assertThat(node.test(leveled("root.kernel", Severity.FATAL))).isFalse();
    assertThat(node.test(leveled("root.kernel.usb", Severity.ERROR))).isFalse();
    String rpc = "root.role.controlplane.launcher.curator.listener.rpc";
    assertThat(node.test(leveled(rpc, Severity.ERROR))).isFalse();
  }

  @Test
  void everythingElseIsShown() {
    assertThat(node.test(leveled("root.enrolment", Severity.INFO))).isTrue();
    assertThat(node.test(raw("root.network.dhcp"))).isTrue();
    assertThat(node.test(leveled("", Severity.INFO))).isTrue();
  }

  @Test
  void configuredPrefixesAndMinimum() {
    ConsoleFilter f =
        ConsoleFilter.builder()
            .noisySubtrees(DN.of("root.role.kubernetes"))
            .noisyMinimum(Severity.ERROR)
            .build();
    assertThat(f.test(leveled("root.role.kubernetes", Severity.WARNING))).isFalse();
    assertThat(f.test(leveled("root.role.kubernetes.x", Severity.WARNING))).isFalse();
    assertThat(f.test(leveled("root.role.kubernetes.x", Severity.ERROR))).isTrue();
    assertThat(f.test(leveled("root.role.kubernetesx", Severity.INFO))).isTrue();
    assertThat(f.test(leveled("root.role.etcd", Severity.INFO))).isTrue();
    assertThat(f.test(raw("root.role"))).isTrue();
  }

  @Test
  void emptyFilterShowsEverything() {
    ConsoleFilter f = ConsoleFilter.builder().build();
    assertThat(f.test(raw("root.kernel"))).isTrue();
    assertThat(f.test(leveled("root.etcd", Severity.INFO))).isTrue();
  }

  @Test
  void invalidNamesAreRejectedNamingThem() {
    assertThatThrownBy(() -> ConsoleFilter.builder().noisyNames("a.b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"a.b\"");
  }
}
