package dev.metropolis.kubernetes.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ColumnsTest {
  @Test
  void agesReadLikeKubectls() {
    assertThat(Columns.humanDuration(Duration.ofSeconds(-5))).isEqualTo("<invalid>");
    assertThat(Columns.humanDuration(Duration.ofSeconds(59))).isEqualTo("59s");
    assertThat(Columns.humanDuration(Duration.ofSeconds(119))).isEqualTo("119s");
    assertThat(Columns.humanDuration(Duration.ofSeconds(150))).isEqualTo("2m30s");
    assertThat(Columns.humanDuration(Duration.ofMinutes(5))).isEqualTo("5m");
    assertThat(Columns.humanDuration(Duration.ofMinutes(75))).isEqualTo("75m");
    assertThat(Columns.humanDuration(Duration.ofMinutes(200))).isEqualTo("3h20m");
    assertThat(Columns.humanDuration(Duration.ofHours(30))).isEqualTo("30h");
    assertThat(Columns.humanDuration(Duration.ofHours(75))).isEqualTo("3d3h");
    assertThat(Columns.humanDuration(Duration.ofDays(40))).isEqualTo("40d");
    assertThat(Columns.humanDuration(Duration.ofDays(800))).isEqualTo("2y70d");
    assertThat(Columns.humanDuration(Duration.ofDays(365 * 9))).isEqualTo("9y");
  }
}
