package dev.metropolis.osbase.logtree;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogEntryFormatTest {
  private static final Instant TS = Instant.parse("2026-11-24T13:30:45.996960789Z");

  @Test
  void leveledIsPaddedDnThenGlogPrefix() {
    var e =
        new LogEntry.Leveled(
            DN.of("root.enrolment"), 1, TS, Severity.INFO, "File.java:48", List.of("msg"));
    assertThat(e.format())
        .isEqualTo("root.enrolment" + " ".repeat(18) + " I1124 13:30:45.996960 File.java:48] msg");
  }

  @Test
  void severityLetters() {
    for (Severity s : Severity.values()) {
      var e = new LogEntry.Leveled(DN.of("a"), 1, TS, s, "F.java:1", List.of("m"));
      assertThat(e.format().charAt(33)).isEqualTo(s.letter());
    }
    assertThat(Severity.values()).extracting(Severity::letter).containsExactly('I', 'W', 'E', 'F');
  }

  @Test
  void multiLineLeveledRepeatsThePrefixOnEachLine() {
    var e =
        new LogEntry.Leveled(DN.of("a"), 1, TS, Severity.ERROR, "F.java:2", List.of("one", "two"));
    String prefix = "a" + " ".repeat(31) + " E1124 13:30:45.996960 F.java:2] ";
    assertThat(e.format()).isEqualTo(prefix + "one\n" + prefix + "two");
  }

  @Test
  void rawIsPaddedDnThenR() {
    var e = new LogEntry.Raw(DN.of("root.kernel"), 1, TS, "[ 0.000] Linux", 14);
    assertThat(e.format()).isEqualTo("root.kernel" + " ".repeat(21) + " R [ 0.000] Linux");
  }

  @Test
  void longDnIsNotTruncated() {
    String dn = "root.role.controlplane.launcher.consensus.etcd";
    var e = new LogEntry.Raw(DN.of(dn), 1, TS, "x", 1);
    assertThat(e.format()).isEqualTo(dn + " R x");
  }

  @Test
  void timestampsAreUtc() {
    var e =
        new LogEntry.Leveled(
            DN.of("a"),
            1,
            Instant.parse("2026-01-02T23:59:59.000001Z"),
            Severity.INFO,
            "F.java:1",
            List.of("m"));
    assertThat(e.format()).contains("I0102 23:59:59.000001 F.java:1] m");
  }

  @Test
  void severityParse() {
    assertThat(Severity.parse("warning")).isEqualTo(Severity.WARNING);
    assertThat(Severity.parse("E")).isEqualTo(Severity.ERROR);
    assertThat(Severity.WARNING.atLeast(Severity.INFO)).isTrue();
    assertThat(Severity.INFO.atLeast(Severity.WARNING)).isFalse();
  }
}
