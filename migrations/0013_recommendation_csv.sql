-- A recommendation as one CSV line: the list representation flattened (lead_agency.* columns,
-- supporting agencies as slugs joined with ';', budget.* columns, arrays joined with ';').
CREATE FUNCTION recommendation_csv(r recommendations, lang text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT csv_line(r.id::text, r.resolution_id::text, r.sector_id::text, r.code, r.number::text,
        loc_text(r.text, lang, s.source_language), loc_text(r.summary, lang, s.source_language),
        r.response::text, r.status::text, r.progress::text, r.agency_status::text,
        la.id::text, la.slug, loc_text(la.name, lang), la.acronym,
        (SELECT string_agg(a.slug, ';' ORDER BY ra.position)
           FROM recommendation_agencies ra JOIN agencies a ON a.id = ra.agency_id
          WHERE ra.recommendation_id = r.id AND ra.role = 'supporting'),
        r.target_date::text, r.budget_amount::text, r.budget_currency,
        array_to_string(r.themes, ';'), array_to_string(r.sdgs, ';'), r.updates_count::text,
        ts_text(r.last_update_at), ts_text(r.created_at), ts_text(r.updated_at), r.version::text)
      FROM resolutions s
      LEFT JOIN recommendation_agencies lra ON lra.recommendation_id = r.id AND lra.role = 'lead'
      LEFT JOIN agencies la ON la.id = lra.agency_id
     WHERE s.id = r.resolution_id
$$;
