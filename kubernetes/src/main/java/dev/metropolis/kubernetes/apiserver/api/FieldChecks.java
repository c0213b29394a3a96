package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import dev.metropolis.kubernetes.objects.Cron;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.node.ObjectNode;

/**
 * Checks of a kind's fields that upstream's validation makes and a controller relies on, beyond the
 * typed decoding: an invalid object gets 422 with one cause per field and is not stored. Runs after
 * defaulting, on create and on every update.
 */
final class FieldChecks {
  private static final List<String> CONCURRENCY = List.of("Allow", "Forbid", "Replace");

  private FieldChecks() {}

  static void check(ResourceType t, ObjectNode o) {
    List<ApiException.Cause> causes = new ArrayList<>();
    if (t.kind().equals("CronJob")) {
      cronJob(o.path("spec") instanceof ObjectNode spec ? spec : Json.object(), causes);
    }
    if (!causes.isEmpty()) {
      throw ApiException.invalid(t, Json.text(o.withObject("metadata"), "name"), causes);
    }
  }

  private static void cronJob(ObjectNode spec, List<ApiException.Cause> causes) {
    String schedule = Json.text(spec, "schedule");
    if (schedule.isEmpty()) {
      causes.add(new ApiException.Cause("FieldValueRequired", "Required value", "spec.schedule"));
    } else {
      try {
        Cron.parse(schedule);
      } catch (Cron.InvalidException e) {
        causes.add(invalid("spec.schedule", schedule, e.getMessage()));
      }
    }
    String zone = Json.text(spec, "timeZone");
    if (spec.has("timeZone")) {
      try {
        ZoneId.of(zone);
      } catch (DateTimeException e) {
        causes.add(invalid("spec.timeZone", zone, "unknown time zone " + zone));
      }
    }
    String policy = Json.text(spec, "concurrencyPolicy");
    if (!CONCURRENCY.contains(policy)) {
      causes.add(
          new ApiException.Cause(
              "FieldValueNotSupported",
              "Unsupported value: \""
                  + policy
                  + "\": supported values: \"Allow\", \"Forbid\", \"Replace\"",
              "spec.concurrencyPolicy"));
    }
  }

  private static ApiException.Cause invalid(String field, String value, String message) {
    return new ApiException.Cause(
        "FieldValueInvalid", "Invalid value: \"" + value + "\": " + message, field);
  }
}
