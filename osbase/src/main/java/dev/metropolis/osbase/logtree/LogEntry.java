package dev.metropolis.osbase.logtree;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** One entry in the log tree: either leveled (from our code) or raw (from external processes). */
public sealed interface LogEntry permits LogEntry.Leveled, LogEntry.Raw {
  /** Raw lines longer than this are truncated; the original length is kept. */
  int MAX_RAW_LINE = 1024;

  DN dn();

  /** Global, strictly increasing sequence number: the order entries were appended in. */
  long seq();

  Instant timestamp();

  /**
   * A structured entry. A multi-line message stays one atomic entry.
   *
   * @param location source {@code File.java:line}
   */
  record Leveled(
      DN dn, long seq, Instant timestamp, Severity severity, String location, List<String> lines)
      implements LogEntry {
    public Leveled {
      lines = List.copyOf(lines);
    }

    public String message() {
      return String.join("\n", lines);
    }
  }

  /** An unstructured line, e.g. from a child process's stdout. */
  record Raw(DN dn, long seq, Instant timestamp, String data, int originalLength)
      implements LogEntry {}

  DateTimeFormatter GLOG_TIME =
      DateTimeFormatter.ofPattern("MMdd HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

  /**
   * Text form: the DN padded to 32 characters, then a glog-style prefix for leveled entries ({@code
   * I0228 13:30:45.996960 File.java:48] msg}) or {@code R data} for raw ones.
   */
  default String format() {
    String dn = String.format("%-32s ", dn().value());
    return switch (this) {
      case Leveled l -> {
        String prefix =
            dn
                + l.severity().letter()
                + GLOG_TIME.format(l.timestamp())
                + " "
                + l.location()
                + "] ";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < l.lines().size(); i++) {
          if (i > 0) {
            sb.append('\n');
          }
          sb.append(prefix).append(l.lines().get(i));
        }
        yield sb.toString();
      }
      case Raw r -> dn + "R " + r.data();
    };
  }
}
