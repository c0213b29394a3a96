package dev.metropolis.osbase.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static Duration ms(double v) {
    return Duration.ofNanos(Math.round(v * 1_000_000));
  }

  @Test
  void intervalsStartAtHalfASecondAndGrowByOneAndAHalf() {
    Backoff b = new Backoff(BackoffPolicy.DEFAULT);
    double interval = 500;
    for (int i = 0; i < 5; i++) {
      assertThat(b.interval()).isEqualTo(ms(interval));
      assertThat(b.next(0.5)).as("no jitter at the midpoint").isEqualTo(ms(interval));
      interval *= 1.5;
    }
  }

  @Test
  void jitterSpansPlusMinusFiftyPercent() {
    Backoff low = new Backoff(BackoffPolicy.DEFAULT);
    Backoff high = new Backoff(BackoffPolicy.DEFAULT);
    double interval = 500;
    for (int i = 0; i < 5; i++) {
      assertThat(low.next(0.0)).isEqualTo(ms(interval * 0.5));
      assertThat(high.next(Math.nextDown(1.0))).isEqualTo(ms(interval * 1.5));
      interval *= 1.5;
    }
  }

  @Test
  void intervalIsCappedAtSixtySecondsAndNeverGivesUp() {
    Backoff b = new Backoff(BackoffPolicy.DEFAULT);
    // 500 ms × 1.5^11 ≈ 43 s; the 12th growth would pass 60 s and is capped.
    for (int i = 0; i < 12; i++) {
      assertThat(b.interval()).isLessThan(Duration.ofSeconds(60));
      b.next(0.5);
    }
    assertThat(b.interval()).isEqualTo(Duration.ofSeconds(60));
    for (int i = 0; i < 100; i++) {
      assertThat(b.next(0.5)).isEqualTo(Duration.ofSeconds(60));
    }
    assertThat(b.next(0.0)).isEqualTo(Duration.ofSeconds(30));
    assertThat(b.next(Math.nextDown(1.0))).isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void resetReturnsToTheInitialInterval() {
    Backoff b = new Backoff(BackoffPolicy.DEFAULT);
    for (int i = 0; i < 8; i++) {
      b.next(0.5);
    }
    b.reset();
    assertThat(b.next(0.5)).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void policyRejectsNonsense() {
    assertThatThrownBy(() -> new BackoffPolicy(Duration.ZERO, 1.5, 0.5, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new BackoffPolicy(Duration.ofSeconds(1), 0.5, 0.5, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new BackoffPolicy(Duration.ofSeconds(2), 1.5, 0.5, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
