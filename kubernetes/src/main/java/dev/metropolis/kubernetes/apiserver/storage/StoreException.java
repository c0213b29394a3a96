package dev.metropolis.kubernetes.apiserver.storage;

import io.etcd.jetcd.common.exception.CompactedException;

/** etcd failed or was unreachable; {@link #compacted()} when a requested revision is gone. */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public boolean compacted() {
    return getCause() instanceof CompactedException
        || (getMessage() != null && getMessage().contains("compacted"));
  }
}
