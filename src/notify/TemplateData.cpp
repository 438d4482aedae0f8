#include "notify/TemplateData.h"

#include "notify/ReminderRenderer.h"

#include <string_view>

namespace acd {

namespace {

/// Writes a parsed value back as JSON, numbers with their exact text (a price is never
/// rounded through a double). False when it nests deeper than MaxDepth.
bool appendJson(std::string& out, const JsonValue& value, int depth)
{
    if (depth > TemplateData::MaxDepth)
        return false;
    if (value.IsNull())
        out += "null";
    else if (value.IsBool())
        out += value.GetBool() ? "true" : "false";
    else if (jsonIsNumber(value))
        out += jsonText(value);
    else if (jsonIsString(value))
        appendJsonString(out, jsonText(value));
    else if (value.IsArray())
    {
        out += '[';
        for (rapidjson::SizeType i = 0; i < value.Size(); ++i)
        {
            if (i > 0)
                out += ',';
            if (!appendJson(out, value[i], depth + 1))
                return false;
        }
        out += ']';
    }
    else
    {
        out += '{';
        bool first = true;
        for (const auto& member : jsonMembers(value))
        {
            if (!first)
                out += ',';
            first = false;
            appendJsonString(out, jsonText(member.name));
            out += ':';
            if (!appendJson(out, member.value, depth + 1))
                return false;
        }
        out += '}';
    }
    return true;
}

/// One object of orderDetails (at depth 2) with its prices last.
bool appendLine(std::string& out, const JsonValue& line, const ReminderPrices::Line& prices)
{
    out += '{';
    for (const auto& member : jsonMembers(line))
    {
        const std::string_view name = jsonText(member.name);
        if (name == "unitPriceText" || name == "lineTotalText")
            continue;
        appendJsonString(out, name);
        out += ':';
        if (!appendJson(out, member.value, 3))
            return false;
        out += ',';
    }
    out += "\"unitPriceText\":";
    appendJsonString(out, prices.unitPrice);
    out += ",\"lineTotalText\":";
    appendJsonString(out, prices.lineTotal);
    out += '}';
    return true;
}

/// orderDetails with the prices of reminderPrices(), which are per object, in order.
bool appendOrderDetails(std::string& out, const JsonValue& details, const ReminderPrices& prices)
{
    out += '[';
    std::size_t line = 0;
    for (rapidjson::SizeType i = 0; i < details.Size(); ++i)
    {
        if (i > 0)
            out += ',';
        const JsonValue& detail = details[i];
        const bool written = detail.IsObject() && line < prices.lines.size()
                                 ? appendLine(out, detail, prices.lines[line++])
                                 : appendJson(out, detail, 2);
        if (!written)
            return false;
    }
    out += ']';
    return true;
}

} // namespace

std::string TemplateData::json() const
{
    std::string out = "{";
    for (const auto& [name, value] : members)
    {
        if (out.size() > 1)
            out += ',';
        appendJsonString(out, name);
        out += ':';
        out += value;
    }
    return out + '}';
}

std::optional<TemplateData> templateData(const JsonValue& data)
{
    if (!data.IsObject())
        return std::nullopt;
    const ReminderPrices prices = reminderPrices(data);
    // The orderDetails that reminderPrices() read: when the name repeats, the last one.
    const JsonValue* details = jsonMember(data, "orderDetails");
    TemplateData result;
    for (const auto& member : jsonMembers(data))
    {
        const std::string_view name = jsonText(member.name);
        if (name == "totalText")
            continue;
        std::string value;
        const bool written = &member.value == details && details->IsArray()
                                 ? appendOrderDetails(value, *details, prices)
                                 : appendJson(value, member.value, 1);
        if (!written)
            return std::nullopt;
        result.members.emplace_back(name, std::move(value));
    }
    if (!prices.total.empty())
    {
        std::string total;
        appendJsonString(total, prices.total);
        result.members.emplace_back("totalText", std::move(total));
    }
    return result;
}

} // namespace acd
