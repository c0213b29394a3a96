package dev.metropolis.kubernetes.objects;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The controllers' and the scheduler's handle on the API server: the fabric8 client, the clock,
 * requests fabric8 has no verb for (pods/binding, namespaces/finalize), and Events.
 */
public final class Kube {
  private final KubernetesClient client;
  private final Clock clock;
  private final String instance;
  private final AtomicLong eventSeq = new AtomicLong();

  public Kube(KubernetesClient client, Clock clock, String instance) {
    this.client = client;
    this.clock = clock;
    this.instance = instance;
  }

  public KubernetesClient client() {
    return client;
  }

  public Instant now() {
    return clock.instant();
  }

  /** Now as the API's timestamps are written (RFC 3339, whole seconds). */
  public String timestamp() {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /**
   * Sends {@code json} with {@code method} to {@code path} (below the server URL) and returns the
   * status code; a code other than 2xx and 409 is an exception (409 is the caller's to handle).
   */
  public int send(String method, String path, String json) {
    String base = client.getMasterUrl().toString().replaceAll("/+$", "");
    HttpRequest request =
        client
            .getHttpClient()
            .newHttpRequestBuilder()
            .uri(base + path)
            .method(method, "application/json", json)
            .build();
    HttpResponse<String> response;
    try {
      response = client.getHttpClient().sendAsync(request, String.class).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KubernetesClientException("interrupted: " + method + " " + path, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new KubernetesClientException(method + " " + path + ": " + e.getMessage(), e);
    }
    if (!response.isSuccessful() && response.code() != 409) {
      throw new KubernetesClientException(
          method + " " + path + ": " + response.code() + " " + response.body(),
          response.code(),
          null);
    }
    return response.code();
  }

  /**
   * Records an Event about {@code about} from {@code component} (upstream's core/v1 shape, which
   * {@code kubectl describe} and {@code kubectl get events} show). Events of cluster-scoped objects
   * go to namespace default.
   */
  public void event(
      HasMetadata about, String type, String reason, String message, String component) {
    String ns = about.getMetadata().getNamespace();
    if (ns == null || ns.isEmpty()) {
      ns = "default";
    }
    String now = timestamp();
    Event e =
        new EventBuilder()
            .withNewMetadata()
            .withNamespace(ns)
            .withName(
                about.getMetadata().getName()
                    + "."
                    + Long.toHexString(clock.millis() * 1000 + eventSeq.incrementAndGet() % 1000))
            .endMetadata()
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion(about.getApiVersion())
                    .withKind(about.getKind())
                    .withNamespace(about.getMetadata().getNamespace())
                    .withName(about.getMetadata().getName())
                    .withUid(about.getMetadata().getUid())
                    .withResourceVersion(about.getMetadata().getResourceVersion())
                    .build())
            .withType(type)
            .withReason(reason)
            .withMessage(message)
            .withNewSource()
            .withComponent(component)
            .endSource()
            .withReportingComponent(component)
            .withReportingInstance(instance)
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withCount(1)
            .build();
    try {
      client.v1().events().inNamespace(ns).resource(e).create();
    } catch (KubernetesClientException ex) {
      // an event is best effort: a namespace going away must not fail the controller's work
      if (ex.getCode() != 403 && ex.getCode() != 404 && ex.getCode() != 409) {
        throw ex;
      }
    }
  }

  /** Whether {@code e} is a conflict (stale resourceVersion, already exists): retry next pass. */
  public static boolean isConflict(KubernetesClientException e) {
    return e.getCode() == 409;
  }
}
