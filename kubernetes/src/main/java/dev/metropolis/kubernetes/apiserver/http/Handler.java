package dev.metropolis.kubernetes.apiserver.http;

/** Answers requests. Called on a virtual thread per request, so it may block. */
public interface Handler {
  void handle(Request request, Exchange exchange);
}
