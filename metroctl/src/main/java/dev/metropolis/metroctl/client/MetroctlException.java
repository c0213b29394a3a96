package dev.metropolis.metroctl.client;

/**
 * A failure the operator can act on. The message is shown as the single error line, so it names the
 * object and what went wrong; the cause is shown only with {@code --verbose}.
 */
public final class MetroctlException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MetroctlException(String message) {
    super(message);
  }

  public MetroctlException(String message, Throwable cause) {
    super(message, cause);
  }
}
