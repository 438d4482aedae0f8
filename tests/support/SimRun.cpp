#include "SimRun.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

namespace acd::test {

SimRun::SimRun(const ScenarioBuilder& scenario, const std::map<std::string, std::string>& overrides)
{
    sim = std::make_unique<CommerceSim>(scenario.write(dir));
    config = writeConfig(dir, *sim, overrides);
}

RunResult SimRun::once(const std::map<std::string, std::string>& extraEnv) const
{
    return run({"--once"}, extraEnv);
}

RunResult SimRun::run(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& extraEnv) const
{
    auto env = simSecrets();
    for (const auto& [k, v] : extraEnv)
        env[k] = v;
    std::vector<std::string> all{"--config=" + config};
    all.insert(all.end(), args.begin(), args.end());
    return runProgram(binaryPath("abandoned-cartd"), all, env);
}

std::map<std::string, Poco::JSON::Object::Ptr> SimRun::deliveredByEmail() const
{
    std::map<std::string, Poco::JSON::Object::Ptr> byEmail;
    Poco::JSON::Array::Ptr all = sim->deliveries();
    for (std::size_t i = 0; i < all->size(); ++i)
    {
        Poco::JSON::Object::Ptr d = all->getObject(static_cast<unsigned>(i));
        byEmail[d->getValue<std::string>("external_id")] = d;
    }
    return byEmail;
}

std::map<std::string, std::string> SimRun::ledgerStates() const
{
    SQLite::Database db(ledger());
    SQLite::Statement q(db, "SELECT cart_id, status, COALESCE(reason, '') FROM notifications");
    std::map<std::string, std::string> states;
    while (q.executeStep())
    {
        const std::string status = q.getColumn(1).getString();
        const std::string reason = q.getColumn(2).getString();
        states[q.getColumn(0).getString()] = status == "skipped" ? "skipped:" + reason : status;
    }
    return states;
}

std::map<std::string, std::string> SimRun::triggerIds() const
{
    SQLite::Database db(ledger());
    SQLite::Statement q(db, "SELECT cart_id, trigger_id FROM notifications");
    std::map<std::string, std::string> ids;
    while (q.executeStep())
        ids[q.getColumn(0).getString()] = q.getColumn(1).getString();
    return ids;
}

std::string SimRun::notificationReason(const std::string& cartId) const
{
    SQLite::Database db(ledger());
    SQLite::Statement q(db, "SELECT COALESCE(reason, '') FROM notifications WHERE cart_id = ?");
    q.bind(1, cartId);
    return q.executeStep() ? q.getColumn(0).getString() : "<none>";
}

std::int64_t SimRun::stat(const std::string& name) const
{
    Poco::JSON::Object::Ptr s = sim->stats();
    return s->has(name) ? s->getValue<std::int64_t>(name) : 0;
}

} // namespace acd::test
