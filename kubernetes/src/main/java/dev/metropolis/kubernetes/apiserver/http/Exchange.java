package dev.metropolis.kubernetes.apiserver.http;

import java.util.List;

/** The answer side of one request: either one whole response or a stream of chunks. */
public interface Exchange {
  /** Sends a complete response; {@code warnings} become {@code Warning: 299 - "..."} headers. */
  void respond(int status, String contentType, byte[] body, List<String> warnings);

  /** Starts a chunked 200 response. */
  Stream stream(String contentType);

  /** A chunked response body. */
  interface Stream {
    /** Writes and flushes one chunk; false if the client has gone. */
    boolean write(byte[] chunk);

    /** Ends the response. */
    void end();

    /** Runs {@code r} once when the connection closes (at once if it is closed already). */
    void onClose(Runnable r);
  }
}
