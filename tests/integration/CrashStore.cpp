#include "CrashStore.h"
#include "ScenarioBuilder.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/String.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace crash {

namespace {

const std::string Daemon = binaryPath("abandoned-cartd");

} // namespace

Store::Store(const Plan& plan, std::uint64_t dataSeed)
    : plan(plan),
      sim(ScenarioBuilder().write(dir),
          {"--generate=carts=" + std::to_string(plan.carts) + ",seed=" + std::to_string(dataSeed)})
{
    // A slow machine may need more than the harness's 20 s to hand every reminder over once
    // deciding is over; what the budget leaves pending is another test's concern.
    std::map<std::string, std::string> keys{{"notify.retryBudgetSeconds", "600"}};
    if (plan.kind != Kind::Emarsys)
        keys.insert(
            {{"notify.templatesDir", sourcePath("conf/templates")},
             {"notify.unsubscribeUrl", "https://shop.example.com/unsubscribe?email={email}&token={token}"},
             {"smtp.from", "Contoso Outdoor <shop@contoso.example>"},
             {"emarsys.externalEventId", ""}});
    if (plan.kind == Kind::Outbox)
    {
        keys["notify.provider"] = "outbox";
        keys["outbox.dir"] = outboxDir();
    }
    if (plan.kind == Kind::Mandrill)
        keys.merge(mandrillKeys(sim));
    if (plan.kind == Kind::Mailchimp)
        keys.merge(mailchimpKeys(sim));
    if (plan.kind == Kind::Smtp)
    {
        smtp.emplace(sourcePath("tests/integration/smtp_server.py"),
                     std::vector<std::string>{"--dir=" + mailDir()});
        keys["notify.provider"] = "smtp";
        keys["smtp.host"] = "127.0.0.1";
        keys["smtp.port"] = std::to_string(smtp->port());
        keys["smtp.tls"] = "none";
    }
    if (plan.kind == Kind::SendGrid)
        keys.merge(sendgridKeys(sim));
    config = writeConfig(dir, sim, keys);
}

std::unique_ptr<ChildProcess> Store::start() const
{
    return std::make_unique<ChildProcess>(Daemon, std::vector<std::string>{"--config=" + config, "--once"},
                                          simSecrets(), log());
}

RunResult Store::once() const
{
    RunResult result = runProgram(Daemon, {"--config=" + config, "--once"}, simSecrets(), 300);
    Poco::FileOutputStream(log(), std::ios::out | std::ios::app) << result.out << result.err;
    return result;
}

struct Row
{
    std::int64_t id;
    std::string triggerId;
    std::string status;
};

std::vector<Row> ledgerRows(const Store& store)
{
    SQLite::Database db(store.ledger(), SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT id, trigger_id, status FROM notifications ORDER BY id");
    std::vector<Row> rows;
    while (q.executeStep())
        rows.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString()});
    return rows;
}

std::vector<std::int64_t> ids(SQLite::Database& db, const std::string& sql)
{
    SQLite::Statement q(db, sql);
    std::vector<std::int64_t> found;
    while (q.executeStep())
        found.push_back(q.getColumn(0).getInt64());
    return found;
}

KillPoint killPoint(const Store& store)
{
    KillPoint point;
    if (!Poco::File(store.ledger()).exists())
        return point;
    try
    {
        SQLite::Database db(store.ledger(), SQLite::OPEN_READONLY);
        point.cycles = db.execAndGet("SELECT count(*) FROM cycles").getInt64();
        point.sending = db.execAndGet("SELECT count(*) FROM reminders_sending").getInt64();
        point.windowAdvanced = db.execAndGet("SELECT count(*) FROM window_state").getInt64() > 0;
    }
    catch (const std::exception&)
    {
        point.cycles = -1; // killed while the ledger was being created or migrated
    }
    return point;
}

std::int64_t ledgerCount(const Store& store, const std::string& sql)
{
    SQLite::Database db(store.ledger(), SQLite::OPEN_READONLY);
    return db.execAndGet(sql).getInt64();
}

/// The header section of a message file, unfolded, names lower-cased.
std::map<std::string, std::string> headersOf(const std::string& path)
{
    std::map<std::string, std::string> headers;
    std::istringstream in(readText(path));
    std::string last;
    for (std::string line; std::getline(in, line);)
    {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            break;
        if ((line.front() == ' ' || line.front() == '\t') && !last.empty())
        {
            headers[last] += line;
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        last = Poco::toLower(line.substr(0, colon));
        headers[last] = Poco::trim(line.substr(colon + 1));
    }
    return headers;
}

std::string angleAddress(const std::string& value)
{
    const auto open = value.rfind('<');
    const auto close = value.rfind('>');
    if (open != std::string::npos && close != std::string::npos && close > open)
        return Poco::toLower(value.substr(open + 1, close - open - 1));
    return Poco::toLower(Poco::trim(value));
}

std::int64_t extras(const std::map<std::string, std::int64_t>& counts)
{
    std::int64_t n = 0;
    for (const auto& [key, count] : counts)
        n += count > 1 ? count - 1 : 0;
    return n;
}

/// Received copies per trigger id and per address, from the provider's side only.
void received(const Store& store, std::map<std::string, std::int64_t>& byTrigger,
              std::map<std::string, std::int64_t>& byAddress, Outcome& outcome)
{
    if (store.plan.kind == Kind::Emarsys)
    {
        const Poco::JSON::Array::Ptr all = store.sim.deliveries();
        for (unsigned i = 0; i < all->size(); ++i)
        {
            const Poco::JSON::Object::Ptr d = all->getObject(i);
            ++byTrigger[d->getValue<std::string>("trigger_id")];
            ++byAddress[Poco::toLower(d->getValue<std::string>("external_id"))];
        }
        const Poco::JSON::Object::Ptr stats = store.sim.stats();
        outcome.tokensIssued = stats->optValue<std::int64_t>("emarsysTokensIssued", 0);
        outcome.refusedWith429 = stats->getObject("statuses")->optValue<std::int64_t>("429", 0);
        outcome.repeatsDropped = stats->optValue<std::int64_t>("emarsysDuplicates", 0);
        return;
    }
    if (store.plan.kind == Kind::SendGrid)
    {
        // SendGrid keeps every copy it is given: a repeat would show here.
        const Poco::JSON::Array::Ptr all = store.sim.sendgridDeliveries();
        for (unsigned i = 0; i < all->size(); ++i)
        {
            ++byTrigger[all->getObject(i)->getValue<std::string>("trigger_id")];
            ++byAddress[Poco::toLower(all->getObject(i)->getValue<std::string>("email"))];
        }
        return;
    }
    if (store.plan.kind == Kind::Mandrill)
    {
        const Poco::JSON::Array::Ptr all = parseArray(store.sim.get("/_sim/mandrill/messages"));
        for (unsigned i = 0; i < all->size(); ++i)
        {
            const Poco::JSON::Object::Ptr m = all->getObject(i);
            ++byTrigger[m->getValue<std::string>("trigger_id")];
            ++byAddress[Poco::toLower(m->getValue<std::string>("email"))];
        }
        return;
    }
    if (store.plan.kind == Kind::Mailchimp)
    {
        // Every cart Mailchimp accepted, once per id; a repeat was answered "already exists".
        const Poco::JSON::Array::Ptr all = parseArray(store.sim.get("/_sim/mailchimp/carts"));
        for (unsigned i = 0; i < all->size(); ++i)
        {
            const Poco::JSON::Object::Ptr c = all->getObject(i);
            ++byTrigger[c->getValue<std::string>("id")];
            ++byAddress[Poco::toLower(c->getValue<std::string>("email"))];
        }
        outcome.repeatsDropped = store.sim.stats()->optValue<std::int64_t>("mailchimpCartRepeats", 0);
        return;
    }
    const std::string folder = store.plan.kind == Kind::Outbox ? store.outboxDir() : store.mailDir();
    if (!Poco::File(folder).exists())
        return;
    std::set<std::string> html;
    std::vector<std::string> emls;
    for (Poco::DirectoryIterator it(folder), end; it != end; ++it)
    {
        const std::string name = it.name();
        if (name.starts_with(".") || name.ends_with(".tmp") || name.ends_with(".part"))
            ++outcome.leftovers;
        else if (name.ends_with(".eml"))
            emls.push_back(name.substr(0, name.size() - 4));
        else if (name.ends_with(".html"))
            html.insert(name.substr(0, name.size() - 5));
    }
    for (const std::string& stem : emls)
    {
        const auto headers = headersOf(folder + "/" + stem + ".eml");
        std::string trigger = angleAddress(headers.contains("message-id") ? headers.at("message-id") : "");
        trigger = trigger.substr(0, trigger.find('@'));
        if (store.plan.kind == Kind::Outbox)
        {
            // The file's name is the trigger id: it is what the product checks before writing again.
            ++byTrigger[stem];
            outcome.withoutHtml += html.contains(stem) ? 0 : 1;
            ++byAddress[angleAddress(headers.contains("to") ? headers.at("to") : "")];
            continue;
        }
        ++byTrigger[trigger];
        // The envelope the server saw, not the header: that is where a copy would go.
        const Poco::JSON::Array::Ptr to =
            parseObject(readText(folder + "/" + stem + ".json"))->getArray("to");
        for (unsigned i = 0; i < to->size(); ++i)
            ++byAddress[Poco::toLower(to->getElement<std::string>(i))];
    }
}

Outcome check(const Store& store)
{
    Outcome outcome;
    std::map<std::string, std::int64_t> byTrigger, byAddress;
    received(store, byTrigger, byAddress, outcome);
    for (const auto& [trigger, count] : byTrigger)
        outcome.delivered += count;
    outcome.doubled = std::max(extras(byTrigger), extras(byAddress));

    std::set<std::string> known;
    for (const Row& row : ledgerRows(store))
    {
        ++outcome.statuses[row.status];
        if (row.status == "skipped")
            continue;
        ++outcome.expected;
        known.insert(row.triggerId);
        const auto copies = byTrigger.contains(row.triggerId) ? byTrigger.at(row.triggerId) : 0;
        if (row.status == "uncertain")
        {
            ++outcome.uncertain;
            outcome.uncertainReceived += copies > 0 ? 1 : 0;
            continue;
        }
        if (copies == 0)
        {
            ++outcome.lost;
            outcome.sentMissing += row.status == "sent" ? 1 : 0;
        }
    }
    for (const auto& [trigger, count] : byTrigger)
        outcome.unexpected += known.contains(trigger) ? 0 : count;
    return outcome;
}

} // namespace crash
