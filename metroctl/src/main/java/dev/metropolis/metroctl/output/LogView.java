package dev.metropolis.metroctl.output;

import dev.metropolis.api.logtree.LogEntry;
import dev.metropolis.osbase.logtree.DN;
import dev.metropolis.osbase.logtree.Severity;
import java.time.Instant;

/** How {@code node logs} prints one log entry: the node's own text form, or JSON. */
public final class LogView {
  private LogView() {}

  /**
   * The text form of the log tree: the DN padded to 32 characters, then {@code I0228
   * 13:30:45.996960 File.java:48] message} (one line per message line) or {@code R data}.
   */
  public static String text(LogEntry e) {
    return toLocal(e).format();
  }

  /** One JSON object: dn, then severity, time, location and lines, or raw and original_length. */
  public static String json(LogEntry e) {
    Json j = new Json().field("dn", e.getDn());
    if (e.hasLeveled()) {
      var l = e.getLeveled();
      j.field("severity", severity(l.getSeverity()).name())
          .field("time", instant(l).toString())
          .field("location", l.getLocation())
          .field("lines", l.getLinesList());
    } else {
      j.field("raw", e.getRaw().getData()).field("original_length", e.getRaw().getOriginalLength());
    }
    return j.toString();
  }

  private static dev.metropolis.osbase.logtree.LogEntry toLocal(LogEntry e) {
    DN dn = DN.of(e.getDn());
    if (e.hasLeveled()) {
      var l = e.getLeveled();
      return new dev.metropolis.osbase.logtree.LogEntry.Leveled(
          dn, 0, instant(l), severity(l.getSeverity()), l.getLocation(), l.getLinesList());
    }
    var r = e.getRaw();
    return new dev.metropolis.osbase.logtree.LogEntry.Raw(
        dn,
        0,
        Instant.EPOCH,
        r.getData(),
        (int) Math.min(Integer.MAX_VALUE, r.getOriginalLength()));
  }

  private static Instant instant(LogEntry.Leveled l) {
    var t = l.getTimestamp();
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  private static Severity severity(dev.metropolis.api.logtree.LeveledLogSeverity s) {
    return switch (s) {
      case LEVELED_LOG_SEVERITY_WARNING -> Severity.WARNING;
      case LEVELED_LOG_SEVERITY_ERROR -> Severity.ERROR;
      case LEVELED_LOG_SEVERITY_FATAL -> Severity.FATAL;
      default -> Severity.INFO;
    };
  }
}
