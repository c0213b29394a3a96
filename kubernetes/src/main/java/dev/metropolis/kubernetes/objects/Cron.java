package dev.metropolis.kubernetes.objects;

import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A CronJob schedule as upstream accepts it: five fields (minute, hour, day of month, month, day of
 * week) of {@code *}, numbers, ranges {@code a-b}, steps {@code /n} and lists, month and weekday
 * names (JAN, MON), weekday 7 for Sunday, {@code ?} as {@code *}, and the macros {@code @yearly}
 * (or {@code @annually}), {@code @monthly}, {@code @weekly}, {@code @daily} (or {@code @midnight})
 * and {@code @hourly}. As in cron, when both day fields are restricted a day matching either one
 * matches.
 */
public record Cron(
    BitSet minutes, BitSet hours, BitSet days, BitSet months, BitSet weekdays, boolean anyDay) {

  private static final Map<String, String> MACROS =
      Map.of(
          "@yearly", "0 0 1 1 *",
          "@annually", "0 0 1 1 *",
          "@monthly", "0 0 1 * *",
          "@weekly", "0 0 * * 0",
          "@daily", "0 0 * * *",
          "@midnight", "0 0 * * *",
          "@hourly", "0 * * * *");
  private static final List<String> MONTHS =
      List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
  private static final List<String> WEEKDAYS =
      List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

  /** An invalid schedule, with upstream's kind of message. */
  public static final class InvalidException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidException(String message) {
      super(message);
    }
  }

  /** Parses {@code spec}. */
  public static Cron parse(String spec) throws InvalidException {
    String s = spec.strip();
    if (s.startsWith("@")) {
      String expanded = MACROS.get(s.toLowerCase(Locale.ROOT));
      if (expanded == null) {
        throw new InvalidException("unrecognized descriptor: " + s);
      }
      s = expanded;
    }
    if (s.startsWith("TZ=") || s.startsWith("CRON_TZ=")) {
      throw new InvalidException("cannot use TZ or CRON_TZ in schedule, use timeZone field");
    }
    String[] f = s.isEmpty() ? new String[0] : s.split("\\s+");
    if (f.length != 5) {
      throw new InvalidException("expected exactly 5 fields, found " + f.length + ": " + spec);
    }
    BitSet weekdays = field(f[4], 0, 7, WEEKDAYS);
    if (weekdays.get(7)) {
      weekdays.set(0);
      weekdays.clear(7);
    }
    return new Cron(
        field(f[0], 0, 59, List.of()),
        field(f[1], 0, 23, List.of()),
        field(f[2], 1, 31, List.of()),
        field(f[3], 1, 12, MONTHS),
        weekdays,
        isStar(f[2]) || isStar(f[4]));
  }

  /** Whether a day field is unrestricted ({@code *} or {@code ?}, a step of 1 at most). */
  private static boolean isStar(String field) {
    return List.of("*", "?", "*/1", "?/1").contains(field);
  }

  private static BitSet field(String field, int min, int max, List<String> names)
      throws InvalidException {
    BitSet bits = new BitSet(max + 1);
    for (String part : field.split(",", -1)) {
      int step = 1;
      String range = part;
      int slash = part.indexOf('/');
      if (slash >= 0) {
        step = number(part.substring(slash + 1), 0, Integer.MAX_VALUE, List.of(), part);
        if (step == 0) {
          throw new InvalidException("step of range should be a positive number: " + part);
        }
        range = part.substring(0, slash);
      }
      int from;
      int to;
      if (range.equals("*") || range.equals("?")) {
        from = min;
        to = max;
      } else {
        int dash = range.indexOf('-');
        if (dash >= 0) {
          from = number(range.substring(0, dash), min, max, names, part);
          to = number(range.substring(dash + 1), min, max, names, part);
        } else {
          from = number(range, min, max, names, part);
          to = slash >= 0 ? max : from;
        }
        if (from > to) {
          throw new InvalidException(
              "beginning of range (" + from + ") beyond end of range (" + to + "): " + part);
        }
      }
      for (int v = from; v <= to; v += step) {
        bits.set(v);
      }
    }
    return bits;
  }

  private static int number(String text, int min, int max, List<String> names, String part)
      throws InvalidException {
    int named = names.indexOf(text.toUpperCase(Locale.ROOT));
    int v;
    if (named >= 0) {
      v = named + (min == 1 ? 1 : 0);
    } else {
      if (text.isEmpty() || text.length() > 9 || !text.chars().allMatch(Character::isDigit)) {
        throw new InvalidException("failed to parse int from " + text + ": " + part);
      }
      v = Integer.parseInt(text);
    }
    if (v < min) {
      throw new InvalidException(
          "beginning of range (" + v + ") below minimum (" + min + "): " + part);
    }
    if (v > max) {
      throw new InvalidException("end of range (" + v + ") above maximum (" + max + "): " + part);
    }
    return v;
  }

  private boolean dayMatches(ZonedDateTime t) {
    boolean dom = days.get(t.getDayOfMonth());
    boolean dow = weekdays.get(t.getDayOfWeek().getValue() % 7);
    return anyDay ? dom && dow : dom || dow;
  }

  /** The first matching minute strictly after {@code t}, within five years (else empty). */
  public Optional<ZonedDateTime> next(ZonedDateTime t) {
    ZonedDateTime c = t.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
    ZonedDateTime limit = t.plusYears(5);
    while (c.isBefore(limit)) {
      if (!months.get(c.getMonthValue())) {
        c = c.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).plusMonths(1);
      } else if (!dayMatches(c)) {
        c = c.truncatedTo(ChronoUnit.DAYS).plusDays(1);
      } else if (!hours.get(c.getHour())) {
        c = c.truncatedTo(ChronoUnit.HOURS).plusHours(1);
      } else if (!minutes.get(c.getMinute())) {
        c = c.plusMinutes(1);
      } else {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
