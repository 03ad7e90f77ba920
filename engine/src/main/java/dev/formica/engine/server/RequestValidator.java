package dev.formica.engine.server;

import dev.formica.engine.errors.FieldViolations;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.pipeline.HoldIds;
import dev.formica.engine.pipeline.Markets;
import dev.formica.engine.rules.ConcentrationPolicy;
import dev.formica.engine.state.StateConfig;
import dev.formica.v1.ActivateRuleSetRequest;
import dev.formica.v1.AttributeValue;
import dev.formica.v1.BlockListKind;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.Channel;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.EchoRequest;
import dev.formica.v1.GetConcentrationRequest;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.GetDecisionRequest;
import dev.formica.v1.GetProfileRequest;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.PublishRuleSetRequest;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RiskEvent;
import dev.formica.v1.RiskEventType;
import dev.formica.v1.SetRiskAppetiteRequest;
import dev.formica.v1.SetShadowRuleSetRequest;
import dev.formica.v1.UpdateBlockListRequest;
import dev.formica.v1.UpsertProfileRequest;
import dev.formica.v1.ValidateRuleSetRequest;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Map;

/**
 * Field-level checks of every request of the formica.v1 API, run before anything else touches a
 * request. Each check returns {@code null} when the message is valid, otherwise every violation found,
 * each a text {@code "field: rule"} in field order: the first is the INVALID_ARGUMENT description, and
 * all of them are the refusal's {@code google.rpc.BadRequest} ({@link Refusals#invalid(FieldViolations)}).
 *
 * <p>Every check that needs no state is here (the fields, the hold id's form, the market and currency against the
 * markets served); the shard checks only what needs its state (a reused request id, a hold or line that does not
 * exist or is in another state, a borrower whose market is another).
 *
 * <p>Thread contract: stateless, safe from any thread; allocates only when it finds a violation.
 * The rules here are the ones documented on the fields of the .proto files: keep them in step.
 */
public final class RequestValidator {
    /** 10^13 minor units: 100 billion CNY, far above any single loan, far below overflow. */
    public static final long MAX_AMOUNT_MINOR = 10_000_000_000_000L;
    public static final int MAX_ID_LENGTH = 64;
    public static final int MAX_DEVICE_ID_LENGTH = 128;
    public static final int MAX_IP_LENGTH = 45;
    public static final int MAX_REGION_LENGTH = 16;
    public static final int MAX_INSTALLMENTS = 36;
    public static final int MAX_ATTRIBUTES = 64;
    public static final int MAX_ATTRIBUTE_STRING_LENGTH = 256;
    public static final int MAX_ECHO_PAYLOAD = 64 * 1024;
    public static final int MAX_RULE_SET_CHARS = 1024 * 1024;
    public static final int MAX_REASON_LENGTH = 256;
    public static final int MAX_BLOCK_LIST_VALUES = 10_000;
    public static final int MAX_BLOCK_LIST_VALUE_LENGTH = 128;

    private RequestValidator() {
    }

    /** The INVALID_ARGUMENT refusal of the violations found by one of the checks (every bad field in details). */
    public static StatusRuntimeException invalid(FieldViolations violations) {
        return Refusals.invalid(violations);
    }

    /** The INVALID_ARGUMENT refusal of one {@code "field: rule"} violation. */
    public static StatusRuntimeException invalid(String violation) {
        return Refusals.invalid(violation);
    }

    public static FieldViolations check(DecisionRequest r) {
        FieldViolations v = add(null, requiredId("request_id", r.getRequestId()));
        v = add(v, requiredId("borrower_id", r.getBorrowerId()));
        v = add(v, product("product", r.getProduct(), true));
        v = add(v, amount("amount_minor", r.getAmountMinor()));
        v = add(v, currency("currency", r.getCurrency()));
        v = add(v, optionalId("merchant_id", r.getMerchantId(), MAX_ID_LENGTH));
        v = add(v, merchantCategory(r.getMerchantCategory()));
        v = add(v, channel(r.getChannel(), r.getChannelValue()));
        v = add(v, optionalId("device_id", r.getDeviceId(), MAX_DEVICE_ID_LENGTH));
        v = add(v, ip(r.getIp()));
        v = add(v, optionalText("region", r.getRegion(), MAX_REGION_LENGTH));
        v = add(v, nonNegative("event_time_ms", r.getEventTimeMs()));
        v = add(v, range("installments", r.getInstallments(), 0, MAX_INSTALLMENTS));
        return add(v, attributes("attributes", r.getAttributesMap()));
    }

    public static FieldViolations check(ConfirmRequest r) {
        return add(add(null, requiredId("request_id", r.getRequestId())), holdId(r.getHoldId()));
    }

    public static FieldViolations check(CancelRequest r) {
        return add(add(null, requiredId("request_id", r.getRequestId())), holdId(r.getHoldId()));
    }

    /**
     * The hold id's rules: present, an id's length and characters, and the form this engine issues ({@link HoldIds});
     * reported beside the request's other bad fields, as every violation is (docs/api.md: {@code BadRequest} lists
     * every one).
     */
    private static String holdId(String holdId) {
        String violation = requiredId("hold_id", holdId);
        if (violation == null && HoldIds.parse(holdId) == HoldIds.INVALID) {
            return "hold_id: not a hold id issued by this engine";
        }
        return violation;
    }

    /**
     * Refuses (INVALID_ARGUMENT, nothing changes) a market the server does not serve, naming {@code market}, and a
     * currency that is not the named market's, or with no market named not one any market lends in, naming
     * {@code currency} ({@link dev.formica.engine.errors.DomainError#CURRENCY_NOT_SUPPORTED}); null when both are
     * served. The borrower's shard checks what needs its state: the currency against the market of the line.
     */
    public static Refused market(Markets markets, String market, String currency) {
        Markets.Market m = markets.get(market);
        if (m == null) {
            return markets.unknown(market);
        }
        if (!currency.isEmpty() && (market.isEmpty() ? !markets.lendsIn(currency) : !currency.equals(m.currency()))) {
            return Markets.wrongCurrency(m, currency);
        }
        return null;
    }

    public static FieldViolations check(RepayRequest r) {
        FieldViolations v = add(null, requiredId("request_id", r.getRequestId()));
        v = add(v, requiredId("borrower_id", r.getBorrowerId()));
        v = add(v, product("product", r.getProduct(), true));
        v = add(v, amount("amount_minor", r.getAmountMinor()));
        // its form first, as Decide's: "cny" is a malformed code (INVALID_FIELD), not a currency not lent in
        return add(v, currency("currency", r.getCurrency()));
    }

    public static FieldViolations check(GetCreditLineRequest r) {
        return add(add(null, requiredId("borrower_id", r.getBorrowerId())), product("product", r.getProduct(), true));
    }

    public static FieldViolations check(GetDecisionRequest r) {
        // borrower_id is required: decisions are kept per borrower, so no caller can read another borrower's
        return add(add(null, requiredId("request_id", r.getRequestId())), requiredId("borrower_id", r.getBorrowerId()));
    }

    public static FieldViolations check(CreditApplication r) {
        FieldViolations v = add(null, requiredId("request_id", r.getRequestId()));
        v = add(v, requiredId("borrower_id", r.getBorrowerId()));
        v = add(v, product("product", r.getProduct(), true));
        v = add(v, amountOrZero("requested_line_minor", r.getRequestedLineMinor()));
        v = add(v, amountOrZero("annual_income_minor", r.getAnnualIncomeMinor()));
        v = add(v, optionalText("region", r.getRegion(), MAX_REGION_LENGTH));
        v = add(v, amountOrZero("self_limit_minor", r.getSelfLimitMinor()));
        v = add(v, attributes("attributes", r.getAttributesMap()));
        v = add(v, nonNegative("event_time_ms", r.getEventTimeMs()));
        return add(v, currency("currency", r.getCurrency()));
    }

    public static FieldViolations check(UpsertProfileRequest r) {
        if (!r.hasProfile()) {
            return FieldViolations.of("profile: required");
        }
        return check(r.getProfile(), "profile.");
    }

    /** Checks one profile; {@code prefix} is put before field names (e.g. "profile."). */
    public static FieldViolations check(Profile p, String prefix) {
        FieldViolations v = add(null, requiredId(prefix + "borrower_id", p.getBorrowerId()));
        v = add(v, optionalText(prefix + "region", p.getRegion(), MAX_REGION_LENGTH));
        v = add(v, amountOrZero(prefix + "annual_income_minor", p.getAnnualIncomeMinor()));
        v = add(v, amountOrZero(prefix + "self_limit_minor", p.getSelfLimitMinor()));
        v = add(v, attributes(prefix + "attributes", p.getAttributesMap()));
        v = add(v, optionalId(prefix + "group_id", p.getGroupId(), MAX_ID_LENGTH));
        List<ProductLine> lines = p.getLinesList();
        int seen = 0;
        for (int i = 0; i < lines.size(); i++) {
            ProductLine line = lines.get(i);
            String field = prefix + "lines[" + i + "]";
            String bad = product(field + ".product", line.getProduct(), true);
            v = add(v, bad);
            v = add(v, amountOrZero(field + ".line_minor", line.getLineMinor()));
            if (bad == null) {
                int bit = 1 << line.getProductValue();
                if ((seen & bit) != 0) {
                    v = add(v, field + ".product: " + line.getProduct() + " appears more than once");
                }
                seen |= bit;
            }
        }
        if (v == null && p.getSerializedSize() > StateConfig.MAX_PAYLOAD_BYTES) {
            // every rule kept can still be too much: 64 attributes of 64-character keys and 256-character values
            String name = prefix.isEmpty() ? "profile" : prefix.substring(0, prefix.length() - 1);
            v = add(v, name + ": at most " + StateConfig.MAX_PAYLOAD_BYTES + " bytes stored, was "
                    + p.getSerializedSize() + " (fewer or shorter attributes)");
        }
        return v;
    }

    public static FieldViolations check(GetProfileRequest r) {
        return add(null, requiredId("borrower_id", r.getBorrowerId()));
    }

    public static FieldViolations check(RiskEvent r) {
        FieldViolations v = add(null, requiredId("request_id", r.getRequestId()));
        v = add(v, requiredId("borrower_id", r.getBorrowerId()));
        v = add(v, product("product", r.getProduct(), false));
        RiskEventType type = r.getType();
        if (type == RiskEventType.RISK_EVENT_TYPE_UNSPECIFIED) {
            v = add(v, "type: required");
        } else if (type == RiskEventType.UNRECOGNIZED) {
            v = add(v, "type: unknown value " + r.getTypeValue());
        } else {
            // the rules of the type's own fields apply only once the type is known
            if (type == RiskEventType.RISK_EVENT_TYPE_OVERDUE) {
                v = add(v, range("days_past_due", r.getDaysPastDue(), 1, 3650));
            } else if (r.getDaysPastDue() != 0) {
                v = add(v, "days_past_due: only for RISK_EVENT_TYPE_OVERDUE");
            }
            if (type == RiskEventType.RISK_EVENT_TYPE_SALES_CHANGE) {
                v = add(v, range("change_bps", r.getChangeBps(), -10_000, 1_000_000));
                v = add(v, range("period_days", r.getPeriodDays(), 1, 3660));
            }
        }
        v = add(v, amountOrZero("amount_minor", r.getAmountMinor()));
        v = add(v, nonNegative("event_time_ms", r.getEventTimeMs()));
        return add(v, attributes("attributes", r.getAttributesMap()));
    }

    public static FieldViolations check(EchoRequest r) {
        return r.getPayload().size() > MAX_ECHO_PAYLOAD
                ? FieldViolations.of("payload: at most " + MAX_ECHO_PAYLOAD + " bytes") : null;
    }

    public static FieldViolations check(ValidateRuleSetRequest r) {
        return add(null, ruleSetText(r.getYaml()));
    }

    public static FieldViolations check(PublishRuleSetRequest r) {
        return add(add(null, ruleSetText(r.getYaml())), requiredText("author", r.getAuthor(), MAX_ID_LENGTH));
    }

    public static FieldViolations check(ActivateRuleSetRequest r) {
        return add(null, requiredId("version", r.getVersion()));
    }

    public static FieldViolations check(SetShadowRuleSetRequest r) {
        return r.getVersion().isEmpty() ? null : add(null, requiredId("version", r.getVersion()));
    }

    public static FieldViolations check(SetRiskAppetiteRequest r) {
        FieldViolations v = add(null, range("factor_bps", r.getFactorBps(), 1, 20_000));
        v = add(v, product("product", r.getProduct(), false));
        return add(v, requiredText("reason", r.getReason(), MAX_REASON_LENGTH));
    }

    public static FieldViolations check(GetConcentrationRequest r) {
        String d = r.getDimension();
        FieldViolations v = null;
        if (!d.isEmpty() && java.util.Arrays.stream(ConcentrationPolicy.Dimension.values())
                .noneMatch(x -> x.label().equals(d))) {
            v = add(v, "dimension: '" + d + "' is not region, industry, merchant or group (empty = all)");
        }
        return add(v, range("top", r.getTop(), 0, 1000));
    }

    public static FieldViolations check(UpdateBlockListRequest r) {
        FieldViolations v = null;
        if (r.getKind() == BlockListKind.BLOCK_LIST_KIND_UNSPECIFIED) {
            v = add(v, "kind: required");
        } else if (r.getKind() == BlockListKind.UNRECOGNIZED) {
            v = add(v, "kind: unknown value " + r.getKindValue());
        }
        if (r.getAddCount() + r.getRemoveCount() > MAX_BLOCK_LIST_VALUES) {
            // too many to check one by one: the count is the violation
            v = add(v, "add: at most " + MAX_BLOCK_LIST_VALUES + " values per call (add + remove)");
        } else if (r.getAddCount() + r.getRemoveCount() == 0) {
            v = add(v, "add: nothing to add or remove");
        } else {
            for (int i = 0; i < r.getAddCount(); i++) {
                v = add(v, requiredId("add[" + i + "]", r.getAdd(i), MAX_BLOCK_LIST_VALUE_LENGTH));
            }
            for (int i = 0; i < r.getRemoveCount(); i++) {
                v = add(v, requiredId("remove[" + i + "]", r.getRemove(i), MAX_BLOCK_LIST_VALUE_LENGTH));
            }
        }
        return add(v, requiredText("reason", r.getReason(), MAX_REASON_LENGTH));
    }

    private static FieldViolations add(FieldViolations violations, String violation) {
        return FieldViolations.add(violations, violation);
    }

    // ---- field rules -------------------------------------------------------------------------

    static String requiredId(String field, String value) {
        return requiredId(field, value, MAX_ID_LENGTH);
    }

    static String requiredId(String field, String value, int maxLength) {
        if (value.isEmpty()) {
            return field + ": required";
        }
        return optionalId(field, value, maxLength);
    }

    /** Printable ASCII (0x21..0x7E), no spaces, at most {@code maxLength}; empty is allowed. */
    static String optionalId(String field, String value, int maxLength) {
        int n = value.length();
        if (n > maxLength) {
            return field + ": at most " + maxLength + " characters, was " + n;
        }
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                return field + ": only printable ASCII without spaces allowed (bad character at index " + i + ")";
            }
        }
        return null;
    }

    static String requiredText(String field, String value, int maxLength) {
        if (value.isBlank()) {
            return field + ": required";
        }
        return optionalText(field, value, maxLength);
    }

    /** Any text without control characters, at most {@code maxLength} characters. */
    static String optionalText(String field, String value, int maxLength) {
        int n = value.length();
        if (n > maxLength) {
            return field + ": at most " + maxLength + " characters, was " + n;
        }
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) || Character.isSurrogate(c) && !validSurrogateAt(value, i)) {
                return field + ": control or invalid characters are not allowed (index " + i + ")";
            }
        }
        return null;
    }

    private static boolean validSurrogateAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    static String product(String field, Product product, boolean required) {
        if (product == Product.UNRECOGNIZED) {
            return field + ": unknown product";
        }
        if (required && product == Product.PRODUCT_UNSPECIFIED) {
            return field + ": required (CONSUMER_CREDIT, CASH_LOAN or BUSINESS_LOAN)";
        }
        return null;
    }

    static String channel(Channel channel, int number) {
        return channel == Channel.UNRECOGNIZED ? "channel: unknown value " + number : null;
    }

    static String amount(String field, long value) {
        if (value <= 0) {
            return field + ": must be > 0 (minor units), was " + value;
        }
        if (value > MAX_AMOUNT_MINOR) {
            return field + ": at most " + MAX_AMOUNT_MINOR + " minor units, was " + value;
        }
        return null;
    }

    static String amountOrZero(String field, long value) {
        if (value < 0) {
            return field + ": must be >= 0 (minor units), was " + value;
        }
        if (value > MAX_AMOUNT_MINOR) {
            return field + ": at most " + MAX_AMOUNT_MINOR + " minor units, was " + value;
        }
        return null;
    }

    static String nonNegative(String field, long value) {
        return value < 0 ? field + ": must be >= 0, was " + value : null;
    }

    static String range(String field, long value, long min, long max) {
        return value < min || value > max ? field + ": must be " + min + ".." + max + ", was " + value : null;
    }

    static String currency(String field, String value) {
        if (value.isEmpty()) {
            return null;
        }
        if (value.length() != 3) {
            return field + ": three upper-case letters (ISO 4217), e.g. CNY";
        }
        for (int i = 0; i < 3; i++) {
            char c = value.charAt(i);
            if (c < 'A' || c > 'Z') {
                return field + ": three upper-case letters (ISO 4217), e.g. CNY";
            }
        }
        return null;
    }

    static String merchantCategory(String value) {
        if (value.isEmpty()) {
            return null;
        }
        if (value.length() != 4) {
            return "merchant_category: four digits (ISO 18245 MCC), e.g. 5411";
        }
        for (int i = 0; i < 4; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return "merchant_category: four digits (ISO 18245 MCC), e.g. 5411";
            }
        }
        return null;
    }

    /** IPv4 dotted quad or IPv6 text (hex digits, ':' and '.' only); no DNS look-up is ever made. */
    static String ip(String value) {
        int n = value.length();
        if (n == 0) {
            return null;
        }
        if (n > MAX_IP_LENGTH) {
            return "ip: at most " + MAX_IP_LENGTH + " characters, was " + n;
        }
        boolean colon = false;
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (c == ':') {
                colon = true;
            } else if (!hex && c != '.') {
                return "ip: not an IPv4 or IPv6 address";
            }
        }
        if (!colon && !isIpv4(value)) {
            return "ip: not an IPv4 or IPv6 address";
        }
        return null;
    }

    private static boolean isIpv4(String s) {
        int parts = 0;
        int value = -1;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : '.';
            if (c == '.') {
                if (value < 0 || value > 255) {
                    return false;
                }
                parts++;
                value = -1;
            } else if (c >= '0' && c <= '9') {
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255) {
                    return false;
                }
            } else {
                return false;
            }
        }
        return parts == 4;
    }

    static String attributes(String field, Map<String, AttributeValue> attributes) {
        if (attributes.isEmpty()) {
            return null;
        }
        if (attributes.size() > MAX_ATTRIBUTES) {
            return field + ": at most " + MAX_ATTRIBUTES + " entries, was " + attributes.size();
        }
        for (Map.Entry<String, AttributeValue> e : attributes.entrySet()) {
            String key = e.getKey();
            if (key.isEmpty() || key.length() > MAX_ID_LENGTH) {
                return field + ": keys must be 1.." + MAX_ID_LENGTH + " characters";
            }
            for (int i = 0; i < key.length(); i++) {
                char c = key.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '_' || c == '.';
                if (!ok) {
                    return field + ": keys may hold only [A-Za-z0-9_.]";
                }
            }
            AttributeValue value = e.getValue();
            String name = field + "[" + key + "]";
            switch (value.getKindCase()) {
                case KIND_NOT_SET:
                    return name + ": a value is required";
                case DOUBLE_VALUE:
                    if (!Double.isFinite(value.getDoubleValue())) {
                        return name + ": must be a finite number";
                    }
                    break;
                case STRING_VALUE: {
                    String v = optionalText(name, value.getStringValue(), MAX_ATTRIBUTE_STRING_LENGTH);
                    if (v != null) {
                        return v;
                    }
                    break;
                }
                default:
                    break;
            }
        }
        return null;
    }

    static String ruleSetText(String yaml) {
        if (yaml.isBlank()) {
            return "yaml: required";
        }
        return yaml.length() > MAX_RULE_SET_CHARS ? "yaml: at most " + MAX_RULE_SET_CHARS + " characters" : null;
    }
}
