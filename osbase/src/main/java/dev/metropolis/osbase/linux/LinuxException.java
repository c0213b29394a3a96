package dev.metropolis.osbase.linux;

import java.io.IOException;

/** A failed system call: which call, and the {@code errno} it set. */
public final class LinuxException extends IOException {
  private final int errno;

  public LinuxException(String call, int errno) {
    super(call + ": " + Libc.strerror(errno) + " (errno " + errno + ")");
    this.errno = errno;
  }

  public int errno() {
    return errno;
  }
}
