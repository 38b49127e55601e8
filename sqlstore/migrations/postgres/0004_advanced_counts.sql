-- 0004_advanced_counts: what the Advanced listing pages over, kept by triggers.
--
-- ListAdvanced (getPaidCertificates) pages over a member's orders that hold a
-- listed certificate: paid DV or OV, not deleted, in an order. Counting them
-- with COUNT(DISTINCT order_id), and skipping pages with OFFSET, read every
-- listed certificate of the member (about 5 per order), on every request.
-- These tables hold one row per such order and one count per member, kept
-- up to date by triggers in the writing transaction, so counting reads one
-- row and paging skips orders, not certificates. Triggers (not store code)
-- keep them, so every write path, present and future, maintains them, on
-- every node. The listed-certificate test below repeats
-- certificate_advanced_idx's WHERE clause (and adds order_id IS NOT NULL);
-- keep them in step. (No question marks in this file: the migration runner
-- rebinds them as parameters.)

-- advanced_order: the orders holding listed certificates, and how many.
CREATE TABLE advanced_order (
    member_no    TEXT NOT NULL,
    order_id     BIGINT NOT NULL,
    certificates INTEGER NOT NULL,
    PRIMARY KEY (member_no, order_id)
);

-- advanced_member: per member, the number of rows in advanced_order, and a
-- version that changes whenever a row is added to or removed from it, so a
-- server may keep the member's order list in memory while the version
-- stays the same (sqlstore/ordercache.go).
CREATE TABLE advanced_member (
    member_no TEXT PRIMARY KEY,
    orders    INTEGER NOT NULL,
    version   BIGINT NOT NULL DEFAULT 0
);

INSERT INTO advanced_order (member_no, order_id, certificates)
    SELECT member_no, order_id, COUNT(*) FROM certificate
    WHERE type IN ('NCP_PAID_DV_01', 'NCP_PAID_OV_01') AND status <> -6 AND order_id IS NOT NULL
    GROUP BY member_no, order_id;

INSERT INTO advanced_member (member_no, orders)
    SELECT member_no, COUNT(*) FROM advanced_order GROUP BY member_no;

CREATE FUNCTION advanced_member_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO advanced_member (member_no, orders) VALUES (NEW.member_no, 1)
            ON CONFLICT (member_no) DO UPDATE SET orders = advanced_member.orders + 1, version = advanced_member.version + 1;
    ELSE
        UPDATE advanced_member SET orders = orders - 1, version = version + 1 WHERE member_no = OLD.member_no;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER advanced_order_count AFTER INSERT OR DELETE ON advanced_order
    FOR EACH ROW EXECUTE FUNCTION advanced_member_count();

-- An update is a delete of the old row and an insert of the new one, when
-- it changes whether or where the certificate is listed.
CREATE FUNCTION advanced_order_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_listed boolean := false;
    new_listed boolean := false;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_listed := OLD.type IN ('NCP_PAID_DV_01', 'NCP_PAID_OV_01') AND OLD.status <> -6 AND OLD.order_id IS NOT NULL;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_listed := NEW.type IN ('NCP_PAID_DV_01', 'NCP_PAID_OV_01') AND NEW.status <> -6 AND NEW.order_id IS NOT NULL;
    END IF;
    IF old_listed AND new_listed AND OLD.order_id = NEW.order_id AND OLD.member_no = NEW.member_no THEN
        RETURN NULL;
    END IF;
    IF old_listed THEN
        UPDATE advanced_order SET certificates = certificates - 1
            WHERE member_no = OLD.member_no AND order_id = OLD.order_id;
        DELETE FROM advanced_order
            WHERE member_no = OLD.member_no AND order_id = OLD.order_id AND certificates <= 0;
    END IF;
    IF new_listed THEN
        INSERT INTO advanced_order (member_no, order_id, certificates) VALUES (NEW.member_no, NEW.order_id, 1)
            ON CONFLICT (member_no, order_id) DO UPDATE SET certificates = advanced_order.certificates + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER certificate_listed AFTER INSERT OR UPDATE OR DELETE ON certificate
    FOR EACH ROW EXECUTE FUNCTION advanced_order_keep();
