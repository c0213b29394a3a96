package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Upstream's defaulting for the fields clients read back (a subset, per kind). */
final class Defaults {
  private Defaults() {}

  static void apply(ResourceType t, ObjectNode o) {
    switch (t.kind()) {
      case "Namespace" -> {
        if (!o.path("status").has("phase")) {
          o.withObject("status").put("phase", "Active");
        }
      }
      case "Pod" -> {
        pod(o.withObject("spec"));
        if (!o.path("status").has("phase")) {
          o.withObject("status").put("phase", "Pending");
        }
      }
      case "Deployment" -> {
        ObjectNode spec = o.withObject("spec");
        putIfAbsent(spec, "replicas", 1);
        putIfAbsent(spec, "revisionHistoryLimit", 10);
        putIfAbsent(spec, "progressDeadlineSeconds", 600);
        ObjectNode strategy = spec.withObject("strategy");
        if (!strategy.has("type")) {
          strategy.put("type", "RollingUpdate");
        }
        if (strategy.path("type").asString().equals("RollingUpdate")) {
          ObjectNode ru = strategy.withObject("rollingUpdate");
          if (!ru.has("maxUnavailable")) {
            ru.put("maxUnavailable", "25%");
          }
          if (!ru.has("maxSurge")) {
            ru.put("maxSurge", "25%");
          }
        }
        pod(spec.withObject("template").withObject("spec"));
      }
      case "Job" -> {
        ObjectNode spec = o.withObject("spec");
        if (!spec.has("parallelism")) {
          spec.put("parallelism", 1);
          putIfAbsent(spec, "completions", 1);
        }
        putIfAbsent(spec, "backoffLimit", 6);
        if (!spec.has("completionMode")) {
          spec.put("completionMode", "NonIndexed");
        }
        if (!spec.has("suspend")) {
          spec.put("suspend", false);
        }
        pod(spec.withObject("template").withObject("spec"));
      }
      case "DaemonSet" -> {
        ObjectNode spec = o.withObject("spec");
        putIfAbsent(spec, "revisionHistoryLimit", 10);
        ObjectNode strategy = spec.withObject("updateStrategy");
        if (!strategy.has("type")) {
          strategy.put("type", "RollingUpdate");
        }
        if (strategy.path("type").asString().equals("RollingUpdate")) {
          ObjectNode ru = strategy.withObject("rollingUpdate");
          putIfAbsent(ru, "maxUnavailable", 1);
          putIfAbsent(ru, "maxSurge", 0);
        }
        pod(spec.withObject("template").withObject("spec"));
      }
      case "StatefulSet" -> {
        ObjectNode spec = o.withObject("spec");
        putIfAbsent(spec, "replicas", 1);
        putIfAbsent(spec, "revisionHistoryLimit", 10);
        if (!spec.has("podManagementPolicy")) {
          spec.put("podManagementPolicy", "OrderedReady");
        }
        ObjectNode strategy = spec.withObject("updateStrategy");
        if (!strategy.has("type")) {
          strategy.put("type", "RollingUpdate");
        }
        if (strategy.path("type").asString().equals("RollingUpdate")) {
          putIfAbsent(strategy.withObject("rollingUpdate"), "partition", 0);
        }
        ObjectNode retention = spec.withObject("persistentVolumeClaimRetentionPolicy");
        for (String when : new String[] {"whenDeleted", "whenScaled"}) {
          if (!retention.has(when)) {
            retention.put(when, "Retain");
          }
        }
        pod(spec.withObject("template").withObject("spec"));
      }
      case "CronJob" -> {
        ObjectNode spec = o.withObject("spec");
        if (!spec.has("concurrencyPolicy")) {
          spec.put("concurrencyPolicy", "Allow");
        }
        if (!spec.has("suspend")) {
          spec.put("suspend", false);
        }
        putIfAbsent(spec, "successfulJobsHistoryLimit", 3);
        putIfAbsent(spec, "failedJobsHistoryLimit", 1);
        // the job's own defaults come when the controller creates it
        pod(
            spec.withObject("jobTemplate")
                .withObject("spec")
                .withObject("template")
                .withObject("spec"));
      }
      case "ReplicaSet" -> {
        ObjectNode spec = o.withObject("spec");
        putIfAbsent(spec, "replicas", 1);
        pod(spec.withObject("template").withObject("spec"));
      }
      case "Service" -> {
        ObjectNode spec = o.withObject("spec");
        if (!spec.has("type")) {
          spec.put("type", "ClusterIP");
        }
        if (!spec.has("sessionAffinity")) {
          spec.put("sessionAffinity", "None");
        }
        for (JsonNode port : spec.path("ports")) {
          ObjectNode p = (ObjectNode) port;
          if (!p.has("protocol")) {
            p.put("protocol", "TCP");
          }
          if (!p.has("targetPort") && p.has("port")) {
            p.set("targetPort", p.get("port"));
          }
        }
      }
      case "Secret" -> {
        if (!o.has("type")) {
          o.put("type", "Opaque");
        }
        // stringData is write-only: its entries land in data, base64-encoded
        if (o.remove("stringData") instanceof ObjectNode plain) {
          ObjectNode data = o.withObject("data");
          for (var e : plain.properties()) {
            data.put(
                e.getKey(),
                java.util.Base64.getEncoder()
                    .encodeToString(
                        e.getValue().asString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
          }
        }
      }
      default -> {}
    }
  }

  /**
   * Defaults that only a create sets: a namespace's finalizer {@code kubernetes} (the namespace
   * controller empties it before the namespace goes), and a Job's generated selector on its uid.
   */
  static void onCreate(ResourceType t, ObjectNode o) {
    switch (t.kind()) {
      case "Namespace" -> {
        ObjectNode spec = o.withObject("spec");
        if (!spec.has("finalizers")) {
          spec.putArray("finalizers").add("kubernetes");
        }
      }
      case "Job" -> {
        ObjectNode spec = o.withObject("spec");
        if (!spec.path("manualSelector").asBoolean(false) && !spec.has("selector")) {
          String uid = o.path("metadata").path("uid").asString();
          String name = o.path("metadata").path("name").asString();
          ObjectNode labels =
              spec.withObject("template").withObject("metadata").withObject("labels");
          labels.put("batch.kubernetes.io/controller-uid", uid).put("controller-uid", uid);
          labels.put("batch.kubernetes.io/job-name", name).put("job-name", name);
          spec.withObject("selector")
              .withObject("matchLabels")
              .put("batch.kubernetes.io/controller-uid", uid);
        }
      }
      default -> {}
    }
  }

  private static void pod(ObjectNode spec) {
    if (!spec.has("restartPolicy")) {
      spec.put("restartPolicy", "Always");
    }
    if (!spec.has("dnsPolicy")) {
      spec.put("dnsPolicy", "ClusterFirst");
    }
    putIfAbsent(spec, "terminationGracePeriodSeconds", 30);
    if (!spec.has("schedulerName")) {
      spec.put("schedulerName", "default-scheduler");
    }
    for (JsonNode c : spec.path("containers")) {
      ObjectNode container = (ObjectNode) c;
      if (!container.has("imagePullPolicy")) {
        String image = container.path("image").asString("");
        String tail = image.substring(image.lastIndexOf('/') + 1);
        boolean latest = !tail.contains(":") || tail.endsWith(":latest");
        container.put(
            "imagePullPolicy", latest && !image.contains("@") ? "Always" : "IfNotPresent");
      }
      if (!container.has("terminationMessagePath")) {
        container.put("terminationMessagePath", "/dev/termination-log");
      }
      if (!container.has("terminationMessagePolicy")) {
        container.put("terminationMessagePolicy", "File");
      }
    }
  }

  private static void putIfAbsent(ObjectNode o, String field, int value) {
    if (!o.has(field)) {
      o.put(field, value);
    }
  }
}
