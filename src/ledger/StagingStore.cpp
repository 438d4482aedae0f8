#include "ledger/StagingStore.h"

#include "core/JsonText.h"
#include "ledger/AuditLog.h"
#include "ledger/LedgerInternals.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <set>
#include <stdexcept>

namespace acd {

using ledger::insertSkips;
using ledger::nowIso;
using ledger::SmallCacheWhileSorting;
using ledger::Stage;

namespace {

/// Where a cycle keeps the carts it read (account numbers among them) until it has decided.
const char* const StagingTables[] = {"candidates", "chosen"};

// A staged cart as a JSON array, written and read without an object tree (they are written
// and read once per cart per cycle): [id, customerId, modifiedDateTime, cartTypeValue,
// channelId, totalAmount, [[lineId, productId, itemId, quantity, price], ...]].
std::string cartToJson(const Cart& cart)
{
    std::string out;
    out.reserve(160 + 96 * cart.lines.size());
    out += '[';
    appendJsonString(out, cart.id);
    out += ',';
    appendJsonString(out, cart.customerId);
    out += ',';
    appendJsonString(out, cart.modifiedDateTime->toIso());
    out += ',' + std::to_string(cart.cartTypeValue) + ',' + std::to_string(cart.channelId) + ',';
    appendJsonString(out, cart.totalAmount);
    out += ",[";
    for (std::size_t i = 0; i < cart.lines.size(); ++i)
    {
        const CartLine& line = cart.lines[i];
        out += i == 0 ? "[" : ",[";
        appendJsonString(out, line.lineId);
        out += ',' + std::to_string(line.productId) + ',';
        appendJsonString(out, line.itemId);
        out += ',';
        appendJsonString(out, line.quantity);
        out += ',';
        appendJsonString(out, line.price);
        out += ']';
    }
    out += "]]";
    return out;
}

Cart cartFromJson(const std::string& text)
{
    Cart cart;
    try
    {
        JsonArrayReader in(text);
        const auto next = [&in] {
            if (!in.more())
                throw std::runtime_error("a field is missing");
        };
        in.begin();
        next();
        cart.id = in.string();
        next();
        cart.customerId = in.string();
        next();
        const std::string modified = in.string();
        cart.modifiedDateTime = Timestamp::parse(modified);
        if (!cart.modifiedDateTime)
            throw LedgerError("ledger candidate cart " + cart.id + " has an unreadable modifiedDateTime '" +
                              modified + "'");
        next();
        cart.cartTypeValue = static_cast<int>(in.integer());
        next();
        cart.channelId = in.integer();
        next();
        cart.totalAmount = in.string();
        next();
        in.begin();
        while (in.more())
        {
            CartLine line;
            in.begin();
            next();
            line.lineId = in.string();
            next();
            line.productId = in.integer();
            next();
            line.itemId = in.string();
            next();
            line.quantity = in.string();
            next();
            line.price = in.string();
            if (in.more())
                throw std::runtime_error("a line has too many fields");
            cart.lines.push_back(std::move(line));
        }
        if (in.more())
            throw std::runtime_error("the cart has too many fields");
        in.end();
    }
    catch (const LedgerError&)
    {
        throw;
    }
    catch (const std::runtime_error& e)
    {
        throw LedgerError("ledger candidate cart " + cart.id + " cannot be read: " + e.what());
    }
    return cart;
}

} // namespace

StagingStore::StagingStore(SQLite::Database& db, AuditLog& audit, const std::optional<KeyedHash>& hash)
    : _db(db), _audit(audit), _hash(hash)
{}

int StagingStore::stageCandidates(std::int64_t cycleId, const std::string& oun,
                                  const std::vector<Cart>& carts)
{
    for (const Cart& cart : carts)
    {
        if (cart.customerId.empty() || cart.lines.empty() || !cart.modifiedDateTime)
            throw std::invalid_argument(
                "stageCandidates: cart " + cart.id +
                " is not eligible (it needs a customer, lines and a ModifiedDateTime); "
                "record it with recordSkips instead");
    }
    SQLite::Transaction transaction(_db, SQLite::TransactionBehavior::IMMEDIATE);
    // Appended as they come, without any index (migration 0006): a cart read twice in one cycle
    // (paging while it changes) is sorted out by resolveSuperseded.
    SQLite::Statement insert(_db, R"sql(
        INSERT INTO candidates (cycle_id, cart_id, customer_id, modified_at, cart_json)
        SELECT ?1, ?2, ?3, ?4, ?5
        WHERE NOT EXISTS (SELECT 1 FROM notifications
                          WHERE oun = ?6 AND cart_id = ?2 AND modified_at = ?4 AND stage = ?7))sql");
    int staged = 0;
    for (const Cart& cart : carts)
    {
        insert.reset();
        insert.bind(1, cycleId);
        insert.bind(2, cart.id);
        insert.bind(3, cart.customerId);
        insert.bind(4, cart.modifiedDateTime->toIso());
        insert.bind(5, cartToJson(cart));
        insert.bind(6, oun);
        insert.bind(7, Stage);
        staged += insert.exec();
    }
    transaction.commit();
    return staged;
}

int StagingStore::resolveSuperseded(std::int64_t cycleId, const std::string& oun)
{
    const SmallCacheWhileSorting sorting(_db);
    SQLite::Transaction transaction(_db, SQLite::TransactionBehavior::IMMEDIATE);
    // One sort of everything staged; the first row of each customer is the cart kept.
    SQLite::Statement staged(_db, R"sql(
        SELECT customer_id, cart_id, modified_at, cart_json FROM candidates
        WHERE cycle_id = ?1
        ORDER BY customer_id, modified_at DESC, cart_id DESC)sql");
    staged.bind(1, cycleId);
    SQLite::Statement choose(_db,
                             "INSERT INTO chosen (cycle_id, customer_id, cart_json) VALUES (?1, ?2, ?3)");
    const std::string now = nowIso();
    std::vector<SkippedCart> skips;
    int superseded = 0;
    const auto recordSkipped = [&] {
        insertSkips(_db, _audit, _hash ? &*_hash : nullptr, cycleId, oun, skips, now);
        superseded += static_cast<int>(skips.size());
        skips.clear();
    };
    std::string customer; // staged carts always have one: "" is before the first
    std::set<std::pair<std::string, std::string>> seen; // (cart, modification) of this customer
    while (staged.executeStep())
    {
        std::string rowCustomer = staged.getColumn(0).getString();
        std::string cartId = staged.getColumn(1).getString();
        std::string modifiedAt = staged.getColumn(2).getString();
        if (rowCustomer != customer)
        {
            customer = std::move(rowCustomer);
            seen.clear();
            seen.emplace(std::move(cartId), std::move(modifiedAt));
            choose.reset();
            choose.bind(1, cycleId);
            choose.bind(2, customer);
            choose.bind(3, staged.getColumn(3).getString());
            choose.exec();
            continue;
        }
        // The same cart and modification read twice is one cart, not a superseded one.
        if (!seen.emplace(cartId, modifiedAt).second)
            continue;
        skips.push_back({std::move(cartId), std::move(modifiedAt), customer, SkipReason::Superseded});
        if (skips.size() == 1000)
            recordSkipped();
    }
    staged.reset();
    recordSkipped();
    // Every staged cart is now chosen or recorded: the rows (account numbers) go at once.
    SQLite::Statement unstage(_db, "DELETE FROM candidates WHERE cycle_id = ?1");
    unstage.bind(1, cycleId);
    unstage.exec();
    transaction.commit();
    return superseded;
}

std::vector<Cart> StagingStore::candidates(std::int64_t cycleId, const std::string& afterCustomerId,
                                           int limit)
{
    if (limit <= 0)
        throw std::invalid_argument("candidates: limit must be positive, not " + std::to_string(limit));
    SQLite::Statement query(_db, R"sql(
        SELECT cart_json FROM chosen
        WHERE cycle_id = ?1 AND customer_id > ?2
        ORDER BY customer_id
        LIMIT ?3)sql");
    query.bind(1, cycleId);
    query.bind(2, afterCustomerId);
    query.bind(3, limit);
    std::vector<Cart> carts;
    while (query.executeStep())
        carts.push_back(cartFromJson(query.getColumn(0).getString()));
    return carts;
}

void StagingStore::clearCandidates(std::int64_t cycleId)
{
    for (const char* table : StagingTables)
    {
        SQLite::Statement remove(_db, std::string("DELETE FROM ") + table + " WHERE cycle_id = ?1");
        remove.bind(1, cycleId);
        remove.exec();
    }
}

void StagingStore::unstageCustomer(const std::string& customerId)
{
    for (const char* table : StagingTables)
    {
        SQLite::Statement remove(_db, std::string("DELETE FROM ") + table + " WHERE customer_id = ?1");
        remove.bind(1, customerId);
        remove.exec();
    }
}

void StagingStore::dropInterrupted()
{
    for (const char* table : StagingTables)
        _db.exec(std::string("DELETE FROM ") + table +
                 " WHERE cycle_id IN (SELECT id FROM cycles WHERE status = 'interrupted')");
}

} // namespace acd
