package dev.metropolis.node.mgmt;

import com.google.protobuf.Timestamp;
import dev.metropolis.api.logtree.LeveledLogSeverity;
import dev.metropolis.api.logtree.LogFilter;
import dev.metropolis.api.nodemanagement.GetLogsRequest;
import dev.metropolis.osbase.logtree.DN;
import dev.metropolis.osbase.logtree.LogEntry;
import dev.metropolis.osbase.logtree.ReadOptions;
import dev.metropolis.osbase.logtree.Severity;
import io.grpc.Status;
import java.util.Optional;

/** Turns a Logs request into a log tree read, and log entries into their wire form. */
final class LogRequests {
  private LogRequests() {}

  /** A validated request: what to read and how. */
  record Read(DN dn, ReadOptions options) {}

  /**
   * Validates {@code req}; every problem is INVALID_ARGUMENT naming the field.
   *
   * @param buffer the bound of streamed entries waiting for this reader
   */
  static Read parse(GetLogsRequest req, int buffer) {
    DN dn;
    try {
      dn = DN.of(req.getDn());
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
    boolean children = false;
    boolean raw = false;
    boolean leveled = false;
    Optional<Severity> minimum = Optional.empty();
    for (LogFilter f : req.getFiltersList()) {
      switch (f.getFilterCase()) {
        case WITH_CHILDREN -> children = true;
        case ONLY_RAW -> raw = true;
        case ONLY_LEVELED -> leveled = true;
        case LEVELED_WITH_MINIMUM_SEVERITY ->
            minimum = Optional.of(severity(f.getLeveledWithMinimumSeverity().getMinimum()));
        case FILTER_NOT_SET -> throw invalid("filters: a filter with no kind set");
      }
    }
    if (raw && (leveled || minimum.isPresent())) {
      throw invalid("filters: only_raw cannot be combined with only_leveled or a minimum severity");
    }
    int backlog =
        switch (req.getBacklogMode()) {
          case BACKLOG_MODE_DISABLE -> 0;
          case BACKLOG_MODE_ALL -> ReadOptions.ALL;
          case BACKLOG_MODE_COUNT -> {
            if (req.getBacklogCount() <= 0) {
              throw invalid(
                  "backlog_count must be positive with BACKLOG_MODE_COUNT, got "
                      + req.getBacklogCount());
            }
            yield (int) Math.min(Integer.MAX_VALUE, req.getBacklogCount());
          }
          case BACKLOG_MODE_INVALID, UNRECOGNIZED ->
              throw invalid("backlog_mode must be DISABLE, ALL or COUNT");
        };
    boolean stream =
        switch (req.getStreamMode()) {
          case STREAM_MODE_DISABLE -> false;
          case STREAM_MODE_UNBUFFERED -> true;
          case STREAM_MODE_INVALID, UNRECOGNIZED ->
              throw invalid("stream_mode must be DISABLE or UNBUFFERED");
        };
    var options =
        new ReadOptions(children, raw, leveled, minimum, backlog, stream, Math.max(1, buffer));
    return new Read(dn, options);
  }

  static Severity severity(LeveledLogSeverity s) {
    return switch (s) {
      case LEVELED_LOG_SEVERITY_INFO -> Severity.INFO;
      case LEVELED_LOG_SEVERITY_WARNING -> Severity.WARNING;
      case LEVELED_LOG_SEVERITY_ERROR -> Severity.ERROR;
      case LEVELED_LOG_SEVERITY_FATAL -> Severity.FATAL;
      case LEVELED_LOG_SEVERITY_INVALID, UNRECOGNIZED ->
          throw invalid("minimum severity must be INFO, WARNING, ERROR or FATAL, got " + s);
    };
  }

  static LeveledLogSeverity severity(Severity s) {
    return switch (s) {
      case INFO -> LeveledLogSeverity.LEVELED_LOG_SEVERITY_INFO;
      case WARNING -> LeveledLogSeverity.LEVELED_LOG_SEVERITY_WARNING;
      case ERROR -> LeveledLogSeverity.LEVELED_LOG_SEVERITY_ERROR;
      case FATAL -> LeveledLogSeverity.LEVELED_LOG_SEVERITY_FATAL;
    };
  }

  static dev.metropolis.api.logtree.LogEntry toProto(LogEntry e) {
    var b = dev.metropolis.api.logtree.LogEntry.newBuilder().setDn(e.dn().value());
    switch (e) {
      case LogEntry.Leveled l ->
          b.setLeveled(
              dev.metropolis.api.logtree.LogEntry.Leveled.newBuilder()
                  .addAllLines(l.lines())
                  .setTimestamp(timestamp(l.timestamp()))
                  .setSeverity(severity(l.severity()))
                  .setLocation(l.location()));
      case LogEntry.Raw r ->
          b.setRaw(
              dev.metropolis.api.logtree.LogEntry.Raw.newBuilder()
                  .setData(r.data())
                  .setOriginalLength(r.originalLength()));
    }
    return b.build();
  }

  private static Timestamp timestamp(java.time.Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  private static io.grpc.StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }
}
