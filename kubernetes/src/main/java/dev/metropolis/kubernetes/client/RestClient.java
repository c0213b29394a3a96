package dev.metropolis.kubernetes.client;

import dev.metropolis.kubernetes.apiserver.api.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The few REST calls the node's own Kubernetes agents make (worker registration, label sync), as
 * JSON over the JDK HTTP client: a full client library would cost the node memory and start-up time
 * for a handful of requests. Connection failures are {@link IOException}s; HTTP errors are answers
 * ({@link Response#code}), so callers decide what a 404 or 409 means.
 */
public final class RestClient implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private final String base;
  private final HttpClient http;

  /** {@code base} is e.g. {@code https://10.1.0.2:6443}. */
  public RestClient(String base, SSLContext tls) {
    this.base = base;
    this.http = HttpClient.newBuilder().sslContext(tls).connectTimeout(TIMEOUT).build();
  }

  /** The server this client talks to. */
  public String base() {
    return base;
  }

  /**
   * An answer: the status code and the body (a Kubernetes object or {@code Status}; empty if the
   * body was not JSON).
   */
  public record Response(int code, ObjectNode body) {
    public boolean ok() {
      return code >= 200 && code < 300;
    }

    /** The message of a {@code Status} body, or the code. */
    public String message() {
      String m = body.path("message").asString("");
      return m.isEmpty() ? "HTTP " + code : m + " (HTTP " + code + ")";
    }
  }

  public Response get(String path) throws IOException, InterruptedException {
    return send("GET", path, null, null);
  }

  public Response post(String path, JsonNode body) throws IOException, InterruptedException {
    return send("POST", path, "application/json", body);
  }

  public Response put(String path, JsonNode body) throws IOException, InterruptedException {
    return send("PUT", path, "application/json", body);
  }

  public Response mergePatch(String path, JsonNode body) throws IOException, InterruptedException {
    return send("PATCH", path, "application/merge-patch+json", body);
  }

  public Response delete(String path) throws IOException, InterruptedException {
    return send("DELETE", path, null, null);
  }

  private Response send(String method, String path, String type, JsonNode body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(TIMEOUT)
            .header("Accept", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)));
    if (type != null) {
      b.header("Content-Type", type);
    }
    HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    ObjectNode parsed;
    try {
      parsed = r.body().length == 0 ? Json.object() : Json.parseObject(r.body());
    } catch (RuntimeException e) {
      parsed = Json.object();
    }
    return new Response(r.statusCode(), parsed);
  }

  @Override
  public void close() {
    http.close();
  }
}
