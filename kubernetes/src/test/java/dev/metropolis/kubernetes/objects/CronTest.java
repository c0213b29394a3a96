package dev.metropolis.kubernetes.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

/** Schedules as upstream's CronJob accepts them, and their next times. */
class CronTest {
  private static final ZonedDateTime T = ZonedDateTime.parse("2026-11-25T10:07:30Z");

  private static String next(String spec, ZonedDateTime from) throws Exception {
    return Cron.parse(spec).next(from).orElseThrow().toString();
  }

  @Test
  void nextTimes() throws Exception {
    assertThat(next("* * * * *", T)).isEqualTo("2026-11-25T10:08Z");
    assertThat(next("*/5 * * * *", T)).isEqualTo("2026-11-25T10:10Z");
    assertThat(next("0 * * * *", T)).isEqualTo("2026-11-25T11:00Z");
    assertThat(next("30 2 * * *", T)).isEqualTo("2026-11-26T02:30Z");
    assertThat(next("0 0 1 * *", T)).isEqualTo("2026-12-01T00:00Z");
    assertThat(next("@yearly", T)).isEqualTo("2027-01-01T00:00Z");
    assertThat(next("@hourly", T)).isEqualTo("2026-11-25T11:00Z");
    assertThat(next("@WEEKLY", T)).isEqualTo("2026-11-29T00:00Z"); // a Sunday
    assertThat(next("0 9 * * MON-FRI", T)).isEqualTo("2026-11-26T09:00Z");
    assertThat(next("0 9 * * 7", T)).isEqualTo("2026-11-29T09:00Z"); // 7 is Sunday
    assertThat(next("15,45 */6 * JAN,dec *", T)).isEqualTo("2026-12-01T00:15Z");
    assertThat(next("0 0 29 2 *", T)).isEqualTo("2028-02-29T00:00Z");
    assertThat(next("10-20/5 10 * * *", T)).isEqualTo("2026-11-25T10:10Z");
    assertThat(next("5/20 * * * *", T)).isEqualTo("2026-11-25T10:25Z");
    // both day fields restricted: either matches (the 1st, or a Friday: 27 Nov)
    assertThat(next("0 0 1 * FRI", T)).isEqualTo("2026-11-27T00:00Z");
    // one of them a star: both must match (a Friday that is... any Friday)
    assertThat(next("0 0 * * FRI", T)).isEqualTo("2026-11-27T00:00Z");
    assertThat(next("0 0 1 * *", T.withZoneSameInstant(ZoneId.of("Europe/Berlin"))))
        .isEqualTo("2026-12-01T00:00+01:00[Europe/Berlin]");
    // never: the 31st of February
    assertThat(Cron.parse("0 0 31 2 *").next(T)).isEmpty();
  }

  @Test
  void invalidSchedulesAreRefusedWithUpstreamsMessages() {
    String[][] cases = {
      {"61 * * * *", "end of range (61) above maximum (59): 61"},
      {"* * 0 * *", "beginning of range (0) below minimum (1): 0"},
      {"5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"},
      {"*/0 * * * *", "step of range should be a positive number: */0"},
      {"x * * * *", "failed to parse int from x: x"},
      {"* * * *", "expected exactly 5 fields, found 4: * * * *"},
      {"", "expected exactly 5 fields, found 0: "},
      {"@often", "unrecognized descriptor: @often"},
      {"TZ=UTC * * * * *", "cannot use TZ or CRON_TZ in schedule, use timeZone field"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> Cron.parse(c[0])).as(c[0]).hasMessage(c[1]);
    }
  }
}
