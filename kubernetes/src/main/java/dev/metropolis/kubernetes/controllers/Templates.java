package dev.metropolis.kubernetes.controllers;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;

/** Pod template hashes and the int-or-percent arithmetic of rolling updates. */
final class Templates {
  private static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private Templates() {}

  /**
   * A short name-safe hash of a pod template (FNV-1a over its JSON, spelled in upstream's
   * consonant-and-digit alphabet), the value of the pod-template-hash label.
   */
  static String hash(PodTemplateSpec template) {
    byte[] json = SERIALIZATION.asJson(template).getBytes(StandardCharsets.UTF_8);
    int h = 0x811c9dc5;
    for (byte b : json) {
      h ^= b & 0xff;
      h *= 0x01000193;
    }
    String digits = Integer.toUnsignedString(h);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < digits.length(); i++) {
      s.append(ALPHABET.charAt(digits.charAt(i) % ALPHABET.length()));
    }
    return s.toString();
  }

  /** A deep copy of a model object (to change without touching what was read). */
  static <T> T copy(T t) {
    return SERIALIZATION.clone(t);
  }

  /** An int-or-percent of {@code total}; percentages round up or down as asked. */
  static int scaled(IntOrString v, int total, boolean roundUp, int fallback) {
    if (v == null) {
      return fallback;
    }
    if (v.getIntVal() != null) {
      return v.getIntVal();
    }
    String s = v.getStrVal();
    if (s == null || !s.endsWith("%")) {
      return fallback;
    }
    int percent;
    try {
      percent = Integer.parseInt(s.substring(0, s.length() - 1));
    } catch (NumberFormatException e) {
      return fallback;
    }
    return roundUp ? (total * percent + 99) / 100 : total * percent / 100;
  }
}
