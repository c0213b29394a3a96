package dev.metropolis.osbase.logtree;

import java.util.List;
import java.util.Set;

/**
 * Writes leveled entries at one DN. Messages are formatted with {@link String#format} when
 * arguments are given. The source location ({@code File.java:line}) is taken from the caller.
 */
public final class Logger {
  // The caller is a few frames up (caller -> info -> log -> callerLocation): a small depth
  // estimate makes the walker fetch a small first batch of frames.
  private static final StackWalker WALKER = StackWalker.getInstance(Set.of(), 4);

  private final LogTree tree;
  private final DN dn;

  Logger(LogTree tree, DN dn) {
    this.tree = tree;
    this.dn = dn;
  }

  public DN dn() {
    return dn;
  }

  public void info(String format, Object... args) {
    log(Severity.INFO, format, args);
  }

  public void warning(String format, Object... args) {
    log(Severity.WARNING, format, args);
  }

  public void error(String format, Object... args) {
    log(Severity.ERROR, format, args);
  }

  public void fatal(String format, Object... args) {
    log(Severity.FATAL, format, args);
  }

  // Not a @FormatMethod on purpose: without arguments the message is taken literally, so that
  // log.info(text) is safe for text containing '%'.
  @SuppressWarnings("AnnotateFormatMethod")
  public void log(Severity severity, String format, Object... args) {
    String msg = args.length == 0 ? format : String.format(format, args);
    tree.appendLeveled(dn, severity, callerLocation(), List.of(msg.split("\n", -1)));
  }

  /** Logs with an explicit source location, e.g. for entries parsed from another log format. */
  public void logAt(Severity severity, String location, String message) {
    tree.appendLeveled(dn, severity, location, List.of(message.split("\n", -1)));
  }

  private static String callerLocation() {
    return WALKER.walk(frames ->
        frames
            .filter(f -> !f.getClassName().equals(Logger.class.getName()))
            .findFirst()
            .map(f -> f.getFileName() + ":" + f.getLineNumber())
            .orElse("unknown:0"));
  }
}
