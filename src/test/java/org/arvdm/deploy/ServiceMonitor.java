package org.arvdm.deploy;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Typed Prometheus Operator ServiceMonitor (monitoring.coreos.com/v1), the fields this project
 * uses. Fields it does not know land in {@code additionalProperties}, which the manifest tests
 * require to be empty (a misspelt field fails).
 */
@Group("monitoring.coreos.com")
@Version("v1")
@Kind("ServiceMonitor")
public class ServiceMonitor extends CustomResource<ServiceMonitor.Spec, Void> implements Namespaced {

    /** Keeps fields the classes below do not declare, so that tests can find them. */
    public abstract static class Extensible {
        private final Map<String, Object> additionalProperties = new LinkedHashMap<>();

        @JsonAnyGetter
        public Map<String, Object> getAdditionalProperties() {
            return additionalProperties;
        }

        @JsonAnySetter
        public void setAdditionalProperty(String name, Object value) {
            additionalProperties.put(name, value);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public static class Spec extends Extensible {
        private LabelSelector selector;
        private NamespaceSelector namespaceSelector;
        private String jobLabel;
        private List<Endpoint> endpoints = new ArrayList<>();

        public LabelSelector getSelector() {
            return selector;
        }

        public void setSelector(LabelSelector selector) {
            this.selector = selector;
        }

        public NamespaceSelector getNamespaceSelector() {
            return namespaceSelector;
        }

        public void setNamespaceSelector(NamespaceSelector namespaceSelector) {
            this.namespaceSelector = namespaceSelector;
        }

        public String getJobLabel() {
            return jobLabel;
        }

        public void setJobLabel(String jobLabel) {
            this.jobLabel = jobLabel;
        }

        public List<Endpoint> getEndpoints() {
            return endpoints;
        }

        public void setEndpoints(List<Endpoint> endpoints) {
            this.endpoints = endpoints;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public static class NamespaceSelector extends Extensible {
        private Boolean any;
        private List<String> matchNames = new ArrayList<>();

        public Boolean getAny() {
            return any;
        }

        public void setAny(Boolean any) {
            this.any = any;
        }

        public List<String> getMatchNames() {
            return matchNames;
        }

        public void setMatchNames(List<String> matchNames) {
            this.matchNames = matchNames;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public static class Endpoint extends Extensible {
        private String port;
        private String path;
        private String scheme;
        private String interval;
        private String scrapeTimeout;
        private Boolean honorLabels;

        public String getPort() {
            return port;
        }

        public void setPort(String port) {
            this.port = port;
        }

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public String getScheme() {
            return scheme;
        }

        public void setScheme(String scheme) {
            this.scheme = scheme;
        }

        public String getInterval() {
            return interval;
        }

        public void setInterval(String interval) {
            this.interval = interval;
        }

        public String getScrapeTimeout() {
            return scrapeTimeout;
        }

        public void setScrapeTimeout(String scrapeTimeout) {
            this.scrapeTimeout = scrapeTimeout;
        }

        public Boolean getHonorLabels() {
            return honorLabels;
        }

        public void setHonorLabels(Boolean honorLabels) {
            this.honorLabels = honorLabels;
        }
    }
}
